"""The replay's background work, as Celery tasks (the worker: `celery -A clinic worker`).

Tasks carry ids only. Each is safe to run again (triage.replays says why): a task is
acknowledged only once it has finished (CELERY_TASK_ACKS_LATE), so a worker killed mid-task
leaves it to be delivered again, and a worker that starts re-sends the undone parts of every
running replay at once rather than waiting for the broker to notice the lost one.
"""

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from triage import replays
from triage.models import Replay

log = logging.getLogger(__name__)


def enqueue_replay(replay: Replay) -> None:
    replay_plan.delay(str(replay.id))


@shared_task(name="triage.replay_plan")
def replay_plan(replay_id: str) -> None:
    """Cut the replay's window into parts and send one task per part still to run: the
    workers then run them side by side."""
    try:
        numbers = replays.replay_plan(replay_id)
    except Exception:
        replays.replay_fail(replay_id)
        raise
    for number in numbers:
        replay_part.delay(replay_id, number)


@shared_task(name="triage.replay_part")
def replay_part(replay_id: str, number: int) -> None:
    try:
        replays.replay_run_part(replay_id, number)
    except Exception:
        log.exception("replay part failed", extra={"replay": replay_id, "part": number})
        replays.replay_fail(replay_id)
        raise


@worker_ready.connect(dispatch_uid="triage.tasks.resume_replays")
def resume_replays(**kwargs: Any) -> None:
    """A worker that starts picks up every running replay where it stands."""
    for replay_id in replays.replays_running():
        replay_plan.delay(str(replay_id))
