"""The replay's background work, as Celery tasks (the worker: `celery -A clinic worker`).

Tasks carry ids only, and are safe to run again (triage.replays says why): a task is
acknowledged only once it has finished (CELERY_TASK_ACKS_LATE), so a worker killed mid-task
leaves it to be delivered again, and a worker that starts re-sends every running replay at once
rather than waiting for the broker to notice the lost one; the replay then goes on from its
first part not done.
"""

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from clinic.celery import app  # noqa: F401 (the tasks below bind to it: see clinic/__init__.py)
from triage import replays
from triage.models import Replay

log = logging.getLogger(__name__)


def enqueue_replay(replay: Replay) -> None:
    replay_plan.delay(str(replay.id))


@shared_task(name="triage.replay_plan")
def replay_plan(replay_id: str) -> None:
    """Cut the replay's window into parts, then run the parts still to run one after another,
    each committed as it finishes.

    One worker process per replay, not one per part: PostgreSQL shares this machine's cores,
    and two parts side by side made a million-intake replay slower (42.0 s against 31.8 s,
    bench/replay.py on 2 cores), while leaving no process free for webhook deliveries."""
    try:
        for number in replays.replay_plan(replay_id):
            replays.replay_run_part(replay_id, number)
    except Exception:
        log.exception("replay failed", extra={"replay": replay_id})
        replays.replay_fail(replay_id)
        raise


@worker_ready.connect(dispatch_uid="triage.tasks.resume_replays")
def resume_replays(**kwargs: Any) -> None:
    """A worker that starts picks up every running replay where it stands."""
    for replay_id in replays.replays_running():
        replay_plan.delay(str(replay_id))
