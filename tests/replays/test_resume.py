"""A replay that stops part-way (its worker killed) resumes without counting anything twice,
and never shows a half-done summary; a replay whose part fails is failed, never done. These
drive the worker's tasks one by one, in-process; tests/multiprocess/test_replay_worker.py kills
a real worker."""

import pytest
from django.db import connection

from tests.api.helpers import post_json
from tests.conftest import key_client, staff_client
from tests.replays.helpers import REPLAYS, all_changes, replays_url, store_history
from triage import replays, tasks


@pytest.fixture
def dr(db, settings):
    settings.REPLAY_PART_SIZE = 9
    store_history(key_client("north"), random_intakes=30)
    return staff_client("dr.north", "north", "clinician")


def _started(client) -> str:
    """A replay started through the API whose worker has not picked it up (its on-commit
    hand-over never runs: the test's transaction is not committed)."""
    response = post_json(client, replays_url("2026.2"), {})
    assert response.status_code == 202
    assert response.json()["status"] == "running"
    return response.json()["id"]


def test_a_stopped_replay_resumes_and_counts_each_intake_once(
    dr, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reference = post_json(dr, replays_url("2026.2"), {}).json()["id"]
    expected = dr.get(f"{REPLAYS}{reference}/").json()["summary"]

    replay_id = _started(dr)
    parts = replays.replay_plan(replay_id)
    assert len(parts) >= 4
    for number in parts[:2]:  # a worker runs two parts, then is killed
        replays.replay_run_part(replay_id, number)
    halfway = dr.get(f"{REPLAYS}{replay_id}/").json()
    assert halfway["status"] == "running"
    assert halfway["summary"] is None
    assert 0 < halfway["progress"]["processed"] < halfway["progress"]["total"]
    assert 0 < halfway["progress"]["fraction"] < 1
    assert dr.get(f"{REPLAYS}{replay_id}/changes/").json()["count"] == 0
    assert "not done" in dr.get(f"{REPLAYS}{replay_id}/report/").content.decode()

    # The worker restarts: planning again finds only the parts not done, and the task
    # delivered again runs them.
    assert replays.replay_plan(replay_id) == parts[2:]
    replays.replay_run_part(replay_id, parts[0])  # a finished part, run again: nothing changes
    tasks.replay_plan.apply(args=[replay_id])
    done = dr.get(f"{REPLAYS}{replay_id}/").json()
    assert done["status"] == "done"
    assert done["summary"] == expected
    assert done["progress"]["processed"] == expected["intakes"]
    assert all_changes(dr, replay_id) == all_changes(dr, reference)


def test_a_worker_that_starts_resends_every_running_replay(dr, django_capture_on_commit_callbacks):
    replay_id = _started(dr)
    tasks.resume_replays()  # what the worker_ready signal calls; tasks run in-process here
    assert dr.get(f"{REPLAYS}{replay_id}/").json()["status"] == "done"


def test_a_part_that_fails_fails_the_replay(dr):
    replay_id = _started(dr)
    parts = replays.replay_plan(replay_id)
    replays.replay_run_part(replay_id, parts[0])

    # Stored answers the engine cannot read (a bug, or a row damaged outside the service):
    # raw SQL, because the service and the ORM never write such a row.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE triage_intake SET answers = %s", ["{}"])
    with pytest.raises(KeyError):  # the task fails loudly (CELERY_TASK_EAGER_PROPAGATES)
        tasks.replay_plan.apply(args=[replay_id])
    for number in parts[2:]:
        replays.replay_run_part(replay_id, number)  # a stray run changes nothing
    failed = dr.get(f"{REPLAYS}{replay_id}/").json()
    assert failed["status"] == "failed"
    assert failed["summary"] is None
    assert replays.replay_plan(replay_id) == []
