"""Writing the change feed so that readers never skip or repeat an event.

A sequence hands out ids when rows are inserted, not when they commit: with two writers, id 12
can commit before id 11, and a reader who has seen 12 would never see 11. So every event is
written under one transaction-scoped lock taken just before the insert and held to commit;
ids then commit in order. Services write their event last, so the lock is held only briefly.
SQLite needs no lock: its IMMEDIATE transactions already let one writer through at a time.
"""

from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from clinic.models import Branch, Event

_FEED_LOCK_KEY = 0x7472696167  # any constant shared by every writer of the feed


def record_event(
    *,
    branch: Branch,
    type: str,
    patient_id: UUID | None = None,
    intake_id: UUID | None = None,
    referral_id: UUID | None = None,
    review_id: UUID | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append an event. Must run inside the transaction that made the change."""
    assert connection.in_atomic_block, "events are written in the change's own transaction"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FEED_LOCK_KEY])
    return Event.objects.create(
        branch=branch,
        type=type,
        occurred_at=timezone.now(),
        patient_id=patient_id,
        intake_id=intake_id,
        referral_id=referral_id,
        review_id=review_id,
        data=data or {},
    )
