"""A real background worker (`celery -A clinic worker`, as the Procfile starts it) connects to
its broker and answers a ping: on Redis, as deployed, and on the filesystem broker that
`make run` uses when nothing else is installed.

Most tests run tasks eagerly in their own process (CELERY_TASK_ALWAYS_EAGER under
DJANGO_ENV=test); these start the worker process itself, from this interpreter's venv."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from tests.multiprocess.servers import ROOT, server_env

STARTUP_SECONDS = 60

# The worker reads the test database: as it starts it looks for work to resume.
pytestmark = pytest.mark.django_db(transaction=True)


def _database_env() -> dict[str, str]:
    """The test database, named as the worker's settings read it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(db["NAME"])}
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {"DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"}


def _worker_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = server_env(CLINIC_VAR_DIR=str(tmp_path), **_database_env(), **overrides)
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def _assert_no_errors(log: Path) -> None:
    """Nothing went wrong in the worker: no traceback, no error logged (JSON lines)."""
    text = log.read_text()
    assert "Traceback" not in text, text
    for line in text.splitlines():
        if line.startswith("{"):
            assert json.loads(line)["level"] not in ("ERROR", "CRITICAL"), line


def _probe(broker_url: str, **transport_options: str | bool) -> Celery:
    """A client of the worker's broker, set up as the project's own app (JSON only)."""
    probe = Celery("probe", broker=broker_url, set_as_current=False)
    probe.conf.update(
        accept_content=["json"],
        task_serializer="json",
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
    )
    return probe


@contextmanager
def worker(env: dict[str, str], probe: Celery, *, log: Path) -> Iterator[str]:
    """A worker started as the Procfile starts it, once it answers a ping; its node name.
    It is stopped (and killed if it will not stop) whatever the test does."""
    name = f"test-{uuid.uuid4().hex[:12]}@%h"
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "clinic", "worker", "-n", name,
             "--concurrency", "1", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log_file, stderr=log_file,
            # Its own process group, so that its pool processes go with it if it must be killed.
            start_new_session=True,
        )  # fmt: skip
    try:
        node = _wait_for_pong(probe, process, name.split("@")[0], log)
        assert process.poll() is None
        yield node
    finally:
        process.send_signal(signal.SIGTERM)  # a warm shutdown, as a deploy stops it
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        probe.close()


def _wait_for_pong(probe: Celery, process: subprocess.Popen, prefix: str, log: Path) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        # Every worker on the broker answers; a shared Redis may have others than ours.
        replies: list[dict[str, Any]] = probe.control.ping(timeout=1.0) or []
        for reply in replies:
            for node, answer in reply.items():
                if node.startswith(prefix + "@"):
                    assert answer == {"ok": "pong"}
                    return node
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the worker did not answer a ping; see {log}:\n{log.read_text()}")


@pytest.mark.multiprocess
def test_a_worker_on_redis_answers_a_ping(tmp_path):
    """The deployed layout: web and worker share REDIS_URL (the PostgreSQL pass of .ci/run)."""
    broker = settings.REDIS_URL
    env = _worker_env(tmp_path, REDIS_URL=broker)
    log = tmp_path / "worker.log"

    with worker(env, _probe(broker), log=log) as node:
        assert node.startswith("test-")

    _assert_no_errors(log)


def test_a_worker_on_the_filesystem_broker_answers_a_ping(tmp_path):
    """`make run`'s layout: no broker installed, the queue kept as files under the var dir."""
    env = _worker_env(tmp_path)
    env.pop("REDIS_URL", None)
    folders = tmp_path / "celery-broker"
    probe = _probe(
        "filesystem://localhost//",
        data_folder_in=str(folders / "queue"),
        data_folder_out=str(folders / "queue"),
        processed_folder=str(folders / "processed"),
        store_processed=True,
        control_folder=str(folders / "control"),
    )
    for folder in ("queue", "processed", "control"):
        (folders / folder).mkdir(parents=True, exist_ok=True)
    log = tmp_path / "worker.log"

    with worker(env, probe, log=log) as node:
        assert node.startswith("test-")

    _assert_no_errors(log)
    # The worker's settings put the queue where the probe looked: in this test's var dir.
    assert any((folders / "control").iterdir())
