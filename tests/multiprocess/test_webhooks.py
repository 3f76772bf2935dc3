"""Webhooks end to end, as deployed: gunicorn, the Procfile's two Celery workers (`worker:`
with the sweep's beat, `webhooks:` sending) on PostgreSQL and Redis, and a receiver in a
process of its own. Intakes are posted while the receiver and then the sending worker are
killed and started again; every committed event reaches the
receiver, signed, at least once (a repeat only under the same `webhook-id`), and nothing is
sent for a write that was rolled back."""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from standardwebhooks import Webhook

from clinic import webhooks
from clinic.events import record_event
from clinic.models import Branch, Event
from clinic.services import api_key_create
from tests.conftest import intake_body
from tests.multiprocess.servers import ROOT, app_server, call, free_port
from tests.multiprocess.test_celery_worker import _probe, _wait_for_pong, _worker_env

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

RECEIVER = ROOT / "bench" / "webhook_receiver.py"
DEADLINE_SECONDS = 240


@contextmanager
def _process(args: list[str], env: dict[str, str] | None, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as log_file:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log_file, stderr=log_file,
                                   start_new_session=True)  # fmt: skip
    try:
        yield process
    finally:
        _kill(process)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)  # its whole group: a worker's pool too
        process.wait()


def _start_receiver(port: int, record: Path, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, str(RECEIVER), str(port), str(record)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log.open("ab"), start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    return process


def procfile_command(process: str, env: dict[str, str], name: str) -> list[str]:
    """The Procfile's command for `process`, as run here: its ${VAR:-default}s read from
    `env`, `celery` from this interpreter's venv, and the node name `name` (unique on a
    shared broker)."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    command = next(line.split(": ", 1)[1] for line in lines if line.startswith(f"{process}:"))
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1], m[2]), command)
    args = shlex.split(command)
    args[args.index("-n") + 1] = f"{name}@%h"
    assert args[0] == "celery"
    return [sys.executable, "-m", *args]


def start_worker(process: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """The Procfile's `worker:` (replays, and the beat that sends the sweep) or `webhooks:`
    (deliveries, a pool of threads), once it answers a ping."""
    name = f"{process}-{uuid.uuid4().hex[:8]}"
    with log.open("ab") as log_file:
        worker = subprocess.Popen(
            procfile_command(process, env, name),
            cwd=ROOT, env=env, stdout=log_file, stderr=log_file, start_new_session=True,
        )  # fmt: skip
    _wait_for_pong(_probe(settings.REDIS_URL), worker, name, log)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    """A warm shutdown, as a deploy stops it; killed if it will not stop."""
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        _kill(worker)


def _received(record: Path) -> list[dict]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


def test_every_committed_event_reaches_a_receiver_through_kills_and_restarts(tmp_path):
    env = _worker_env(
        tmp_path,
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # the same key decrypts the webhook's secret
        WEBHOOK_SWEEP_SECONDS="1",
        # Tasks the killed worker held are found by the sweep (Redis would hand them on only
        # after its hour's visibility timeout): soon, so that the test does not wait long.
        WEBHOOK_REQUEUE_SECONDS="10",
        CACHE_KEY_PREFIX=f"hooks-{uuid.uuid4().hex}",
    )
    env["CELERY_BROKER_URL"] = settings.REDIS_URL
    _, key = api_key_create(branch_slug="north", name="desk")
    north = Branch.objects.get(slug="north")
    port = free_port()
    every_type = [value for value, _ in Event.TYPES]
    endpoint, secret = webhooks.webhook_create(
        branch=north, url=f"http://127.0.0.1:{port}/hook", event_types=every_type,
        description="mp", created_by="test",
    )  # fmt: skip
    record, log = tmp_path / "received.jsonl", tmp_path / "processes.log"
    rolled_back: list[int] = []

    def roll_back_a_write() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            rolled_back.append(record_event(branch=north, type="intake.created").pk)
            raise RuntimeError("the change fails after its event was written")

    receiver = _start_receiver(port, record, log)
    beat = start_worker("worker", env, log)
    worker = start_worker("webhooks", env, log)
    try:
        with app_server(env, log=log) as base:

            def post(n: int) -> None:
                reply = call(base, "POST", "/api/v1/intakes/", key,
                             intake_body(external_id=f"HOOK-{n}"))  # fmt: skip
                assert reply.status == 201, reply.body

            for n in range(10):
                post(n)
            roll_back_a_write()
            _kill(receiver)  # the receiver goes down mid-stream...
            for n in range(10, 20):
                post(n)
            receiver = _start_receiver(port, record, log)  # ...and comes back
            for n in range(20, 25):
                post(n)
            _kill(worker)  # the sending worker dies with tasks in hand...
            for n in range(25, 35):
                post(n)
            roll_back_a_write()
            worker = start_worker("webhooks", env, log)  # ...and another takes over
            for n in range(35, 40):
                post(n)

            committed = Event.objects.filter(branch=north).values_list("id", flat=True)
            expected = {str(i) for i in committed}
            deadline = time.monotonic() + DEADLINE_SECONDS
            while missing := expected - {r["headers"]["webhook-id"] for r in _received(record)}:
                assert time.monotonic() < deadline, f"never delivered: {sorted(missing)}"
                time.sleep(0.5)
    finally:
        _kill(receiver)
        stop_worker(worker)
        stop_worker(beat)

    received = _received(record)
    verifier = Webhook(secret)
    bodies: dict[str, str] = {}
    for request in received:
        payload = verifier.verify(request["body"], request["headers"])
        message_id = request["headers"]["webhook-id"]
        assert payload["data"]["id"] == int(message_id)
        # A repeat (a lost answer, a worker killed mid-send) is the same message, same id.
        assert bodies.setdefault(message_id, request["body"]) == request["body"]
    ids = set(bodies)
    assert len(expected) >= 2 * 40  # each intake's intake.created and assessment.created
    assert ids == expected
    assert rolled_back and not ids & {str(i) for i in rolled_back}
    assert endpoint.deliveries.filter(state="delivered").count() == len(expected)
    assert "Traceback" not in log.read_text()
