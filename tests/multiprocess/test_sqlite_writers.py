"""The embedded SQLite default under a busy morning: 8 desks each posting 200 intakes at once
through a real server complete with no "database is locked" and nothing lost.

SQLite runs in WAL mode with IMMEDIATE transactions and a busy timeout (clinic/settings.py),
so writers queue for the lock instead of failing. The test uses its own database file, as
`make run` does, not the test database."""

import sqlite3
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import intake_body
from tests.multiprocess.servers import ROOT, app_server, call, server_env

pytestmark = pytest.mark.sqlite_file

WRITERS = 8
INTAKES_EACH = 200


def test_eight_concurrent_writers_on_sqlite_lose_nothing(tmp_path):
    database = tmp_path / "clinic.sqlite3"
    env = server_env(SQLITE_PATH=str(database), CLINIC_VAR_DIR=str(tmp_path),
                     THROTTLE_CALLER_RATE="100000/min")  # fmt: skip
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    make_keys = (
        "from clinic.services import api_key_create\n"
        f"for i in range({WRITERS}):\n"
        "    print(api_key_create(branch_slug='north', name=f'desk {i}')[1])"
    )
    made = subprocess.run([*manage, "shell", "-v", "0", "-c", make_keys], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)  # fmt: skip
    keys = made.stdout.split()
    assert len(keys) == WRITERS
    log = tmp_path / "server.log"

    started = time.monotonic()
    with app_server(env, workers=2, threads=WRITERS // 2, log=log) as base:

        def desk(index: int) -> list[int]:
            return [
                call(base, "POST", "/api/v1/intakes/", keys[index],
                     intake_body(external_id=f"SQ-{index}-{n}")).status
                for n in range(INTAKES_EACH)
            ]  # fmt: skip

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            statuses = [code for codes in pool.map(desk, range(WRITERS)) for code in codes]

    print(f"{WRITERS} writers x {INTAKES_EACH} intakes in {time.monotonic() - started:.1f} s")
    expected = WRITERS * INTAKES_EACH
    assert Counter(statuses) == {201: expected}
    assert "database is locked" not in log.read_text()
    with sqlite3.connect(database) as db:
        counts = [
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("triage_intake", "triage_assessment", "triage_patient")
        ]
        events = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM clinic_event WHERE type = 'intake.created'"
        ).fetchone()
    assert counts == [expected] * 3
    assert events == (expected, expected)
