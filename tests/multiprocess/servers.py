"""Real application servers for the multi-process tests: gunicorn processes started from the
project's own settings, and a small HTTP client that each thread uses on its own."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def call(base: str, method: str, path: str, key: str, body: Any = None, **headers: str) -> Reply:
    """One HTTP request with an API key; the status, headers and JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (a loopback URL this module built)
        base + path, data=data, method=method,
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json",
                 **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            raw, status, got = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, error.headers
    return Reply(status, dict(got.items()), json.loads(raw) if raw else None)


def server_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_ENV="development", DJANGO_DEBUG="false", LOG_LEVEL="WARNING")
    env.update(overrides)
    return env


@contextmanager
def app_server(env: dict[str, str], *, workers: int = 1, threads: int = 4,
               log: Path) -> Iterator[str]:  # fmt: skip
    """A gunicorn server on a free port, as deployed (gthread workers); its base URL."""
    port = free_port()
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "clinic.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
             "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=log_file, stderr=log_file,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:  # not listening yet, or still starting up
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {log}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
