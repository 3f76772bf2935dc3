"""A ruleset replay run by real background workers (`celery -A clinic worker`, concurrency 2) on
Redis, started through a real gunicorn server, as deployed (issue 13 §3): killed mid-replay,
the replay stays `running` with no summary, and a new worker finishes it without counting any
intake twice; a worker that starts finds a replay nobody is running and finishes it.

tests/replays/ drives the same tasks in-process; here they cross the broker and processes."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from knox.models import AuthToken

from clinic.callers import KeyCaller
from clinic.models import StaffRole
from clinic.services import api_key_create
from tests.conftest import branch_on, date_of_birth_for_age
from tests.engine.golden import random_intake
from tests.multiprocess.servers import ROOT, app_server
from tests.multiprocess.test_celery_worker import (
    _assert_no_errors,
    _probe,
    _wait_for_pong,
    _worker_env,
)
from triage import replays
from triage.engine import evaluate
from triage.engine.vocabulary import DISPOSITION_RANK, URGENCY_RANK
from triage.models import Assessment, Replay, ReplayPart
from triage.services import intake_create

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

# Many tiny parts, so that a replay lasts long enough (a few seconds on 2 cores) for the test
# to see some parts done and kill the workers before the last: each part costs a task on the
# broker and a transaction whatever its size.
INTAKES = 1_200
PART_SIZE = 4
KILL_AFTER = 10 * PART_SIZE  # intakes processed when the workers are killed
VERSION = "2026.2"
TIMEOUT = 120  # seconds a replay may take to finish once a worker runs it


def _call(base: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """One request as a clinician with a staff token (servers.call sends API keys)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (a loopback URL built here)
        base + path, data=data, method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The server's and the workers' environment: the test database, tasks sent to the
    broker on REDIS_URL (not run eagerly), tiny replay parts, a cache key space of its own."""
    return _worker_env(
        tmp_path,
        REDIS_URL=settings.REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        REPLAY_PART_SIZE=str(PART_SIZE),
        CACHE_KEY_PREFIX=f"replay-{uuid.uuid4().hex}",
    )


@pytest.fixture
def history() -> int:
    """INTAKES seeded random intakes of `north` (on 2026.1), stored through the service (a
    few times faster than through HTTP, and the same rows)."""
    branch_on("north")
    key, _ = api_key_create(branch_slug="north", name="north desk")
    caller = KeyCaller(api_key=key)
    rng = random.Random(13)
    for n in range(INTAKES):
        answers, age = random_intake(rng)
        patient = {
            "external_id": f"RW-{n}",
            "date_of_birth": date.fromisoformat(date_of_birth_for_age(max(age, 1))),
            "sex": rng.choice(("female", "male")),
        }
        intake_create(caller=caller, patient=patient, answers=answers)
    return INTAKES


@pytest.fixture
def token(history: int) -> str:
    """A staff token of a clinician of `north`."""
    user = get_user_model().objects.create_user("dr.north", password="not-used", is_staff=True)
    StaffRole.objects.create(user=user, branch=branch_on("north"), role="clinician")
    return AuthToken.objects.create(user)[1]


@contextmanager
def started_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`celery -A clinic worker` with two pool processes, in a process group of its own, once
    it answers a ping. Whatever happens, the whole group is killed on the way out."""
    name = f"replay-{uuid.uuid4().hex[:12]}"
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "clinic", "worker", "-n", f"{name}@%h",
             "--concurrency", "2", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log_file, stderr=log_file, start_new_session=True,
        )  # fmt: skip
    probe = _probe(settings.REDIS_URL)
    try:
        _wait_for_pong(probe, process, name, log)
        yield process
    finally:
        probe.close()
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool processes at once (a crash or the OOM killer): nothing
    gets to finish or acknowledge what it holds."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # The pool processes die with the group; a child that outlived its parent would show here.
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return
    os.killpg(process.pid, signal.SIGKILL)


def _poll(base: str, token: str, replay_id: str) -> dict[str, Any]:
    status, replay = _call(base, "GET", f"/api/v1/replays/{replay_id}/", token)
    assert status == 200, replay
    return replay


def _wait_done(base: str, token: str, replay_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        replay = _poll(base, token, replay_id)
        assert replay["status"] != "failed", replay
        if replay["status"] == "done":
            return replay
        assert time.monotonic() < deadline, replay
        time.sleep(0.1)


def _pair(disposition: str, urgency: str) -> str:
    return f"{disposition}/{urgency}"


def _rank(pair: str) -> tuple[int, int]:
    disposition, urgency = pair.split("/")
    return DISPOSITION_RANK[disposition], URGENCY_RANK[urgency]


def recomputed_summary(version: str) -> dict[str, Any]:
    """The summary a replay of `version` over every stored intake must report, worked out here
    from the stored rows and the engine's public `evaluate`, not by triage.replays."""
    counts: Counter[str] = Counter()
    matrix: Counter[tuple[str, str]] = Counter()
    keys = ("disposition", "urgency", "service", "imaging")
    for stored in Assessment.objects.select_related("intake").iterator():
        after = evaluate(stored.intake.answers, stored.age, ruleset=version)
        before_pair = _pair(stored.disposition, stored.urgency)
        after_pair = _pair(after.disposition, after.urgency)
        counts["intakes"] += 1
        matrix[before_pair, after_pair] += 1
        stored_rules = {reason["rule_id"] for reason in stored.decision["reasons"]}
        if all(getattr(stored, k) == getattr(after, k) for k in keys):
            counts["rules_only"] += stored_rules != set(after.rule_ids)
            continue
        counts["changed"] += 1
        if before_pair == after_pair:
            counts["service_only"] += 1
        elif _rank(after_pair) < _rank(before_pair):
            counts["under_triaged"] += 1
        else:
            counts["over_triaged"] += 1
    names = ("intakes", "changed", "under_triaged", "over_triaged", "service_only", "rules_only")
    summary: dict[str, Any] = {name: counts[name] for name in names}
    summary["matrix"] = _sorted([{"from": b, "to": a, "count": n} for (b, a), n in matrix.items()])
    return summary


def _sorted(matrix: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(matrix, key=lambda row: (row["from"], row["to"]))


def _check_done(replay: dict[str, Any], history: int) -> None:
    """Done, with the independent recomputation's counts, each intake counted once."""
    assert replay["status"] == "done"
    assert replay["progress"] == {"processed": history, "total": history, "fraction": 1.0}
    summary = {**replay["summary"], "matrix": _sorted(replay["summary"]["matrix"])}
    expected = recomputed_summary(VERSION)
    assert expected["intakes"] == history
    assert expected["changed"] > 0  # 2026.2 changes some decisions: the counts are tested
    assert summary == expected
    parts = ReplayPart.objects.filter(replay_id=replay["id"])
    assert all(parts.values_list("done", flat=True))
    assert sum(part.counts["intakes"] for part in parts) == history


def test_a_replay_killed_mid_way_resumes_in_a_new_worker_and_counts_each_intake_once(
    env, history, token, tmp_path
):
    log = tmp_path / "worker.log"
    with app_server(env, log=tmp_path / "server.log") as base:
        with started_worker(env, log) as first:
            status, started = _call(base, "POST", f"/api/v1/rulesets/{VERSION}/replays/", token,
                                    {})  # fmt: skip
            assert status == 202, started
            replay_id = started["id"]
            # Poll as fast as the API answers (a few ms a request) until a few parts are done,
            # then kill every worker process. The whole replay takes about 4 s here, so most of
            # its 300 parts are still to run, and both pool processes are likely mid-part.
            deadline = time.monotonic() + TIMEOUT
            while True:
                replay = _poll(base, token, replay_id)
                if replay["progress"]["processed"] >= KILL_AFTER:
                    break
                assert replay["status"] == "running", replay
                assert time.monotonic() < deadline, replay
            kill_group(first)
        halfway = _poll(base, token, replay_id)
        assert halfway["status"] == "running", halfway
        assert halfway["summary"] is None
        assert 0 < halfway["progress"]["processed"] < halfway["progress"]["total"] == history
        assert 0 < halfway["progress"]["fraction"] < 1
        done_parts = ReplayPart.objects.filter(replay_id=replay_id, done=True).count()
        assert 0 < done_parts < ReplayPart.objects.filter(replay_id=replay_id).count()

        with started_worker(env, log):
            done = _wait_done(base, token, replay_id)
    _check_done(done, history)
    _assert_no_errors(log)


def test_a_worker_that_starts_finishes_a_replay_no_worker_was_running(
    env, history, token, tmp_path
):
    # Started with no worker up and no message on the broker (as if the hand-over was lost):
    # only the worker's start-up resume (worker_ready) can find it.
    replay = replays.replay_start_command(branch=branch_on("north"), version=VERSION)
    assert Replay.objects.get(pk=replay.pk).status == Replay.Status.RUNNING
    log = tmp_path / "worker.log"
    with app_server(env, log=tmp_path / "server.log") as base:
        assert _poll(base, token, str(replay.pk))["summary"] is None
        with started_worker(env, log):
            done = _wait_done(base, token, str(replay.pk))
    _check_done(done, history)
    _assert_no_errors(log)
