"""A chunked request body, sent byte for byte over a socket to gunicorn as deployed: gunicorn
decodes the chunks but gives the application no Content-Length, and Django then reads no
body at all. The service answers 411 rather than refusing the intake as empty."""

import json
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.conftest import intake_body
from tests.multiprocess.servers import ROOT, app_server, server_env

pytestmark = pytest.mark.sqlite_file


def raw_post(base: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
    """One HTTP/1.1 POST written by hand; the status and the JSON body of the answer."""
    address = urlsplit(base)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{head}\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request.encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head_part, _, content = answer.partition(b"\r\n\r\n")
    status = int(head_part.split()[1])
    if b"transfer-encoding: chunked" in head_part.lower():
        content = _unchunk(content)
    return status, json.loads(content) if content else {}


def _unchunk(content: bytes) -> bytes:
    decoded = b""
    while content:
        size_line, _, content = content.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        decoded, content = decoded + content[:size], content[size + 2 :]
    return decoded


def in_chunks(body: bytes, size: int = 500) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def test_a_chunked_intake_is_411_and_the_same_with_its_length_is_stored(tmp_path):
    env = server_env(SQLITE_PATH=str(tmp_path / "clinic.sqlite3"), CLINIC_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    make_key = "from clinic.services import api_key_create\n" \
        "print(api_key_create(branch_slug='north', name='desk')[1])"  # fmt: skip
    key = subprocess.run([*manage, "shell", "-v", "0", "-c", make_key], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    body = json.dumps(intake_body()).encode()
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}

    with app_server(env, log=tmp_path / "server.log") as base:
        status, error = raw_post(
            base, "/api/v1/intakes/", {**headers, "Transfer-Encoding": "chunked"}, in_chunks(body)
        )
        stored_status, stored = raw_post(
            base, "/api/v1/intakes/", {**headers, "Content-Length": str(len(body))}, body
        )

    assert status == 411, error
    assert [(e["field"], e["code"]) for e in error["errors"]] == [
        ("Content-Length", "length_required")
    ]
    assert stored_status == 201, stored
