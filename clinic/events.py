"""Writing the change feed so that readers never skip or repeat an event.

A sequence hands out ids when rows are inserted, not when they commit: with two writers, id 12
can commit before id 11, and a reader who has seen 12 would never see 11. So every event is
written under one transaction-scoped lock taken just before the insert and held to commit;
ids then commit in order. Services write their events last, and a service that records several
wraps its writes in `feed_batch()`, so they go in together under one lock at the end: the lock
is held only briefly. SQLite needs no lock: its IMMEDIATE transactions already let one writer
through at a time.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from clinic import held_writes, webhooks
from clinic.models import Branch, Event
from clinic.sql import bound, insert_sql

_FEED_LOCK_KEY = 0x7472696167  # any constant shared by every writer of the feed
_pending: ContextVar[list[Event] | None] = ContextVar("feed_batch", default=None)


@contextmanager
def feed_batch() -> Iterator[None]:
    """Hold back the events recorded inside and write them together, in order, when the block
    ends without error: one lock and one INSERT instead of one of each per event. Use inside
    the change's transaction, around all of its writes. Nested batches join the outer one.
    On PostgreSQL the writes held inside (clinic.held_writes) go in the same statement."""
    if _pending.get() is not None:
        yield
        return
    events: list[Event] = []
    token = _pending.set(events)
    try:
        with held_writes.holding() as held:
            yield
    finally:
        _pending.reset(token)
    _write(events, held)


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
    """Append an event. Must run inside the transaction that made the change. Inside
    `feed_batch()` the event gets its id when the batch is written."""
    assert connection.in_atomic_block, "events are written in the change's own transaction"
    event = Event(
        branch=branch,
        type=type,
        occurred_at=timezone.now(),
        patient_id=patient_id,
        intake_id=intake_id,
        referral_id=referral_id,
        review_id=review_id,
        data=data or {},
    )
    pending = _pending.get()
    if pending is None:
        _write([event])
    else:
        pending.append(event)
    return event


def _write(events: list[Event], held: held_writes.Held | None = None) -> None:
    if not events and not (held and held.ctes):
        return
    assert connection.in_atomic_block, "events are written in the change's own transaction"
    if connection.vendor == "postgresql":
        _insert_locked(events, held or held_writes.Held())
        return
    Event.objects.bulk_create(events)
    # Webhook deliveries go in with their events, in the same transaction (one statement).
    webhooks.fan_out(events)


def _insert_locked(events: list[Event], held: held_writes.Held) -> None:
    """One round trip: the writes held until now (one statement), then the feed's lock (it
    must be held before the sequence hands out the events' ids, and is taken after the held
    writes so that it is held no longer than before), then the events with their webhook
    deliveries (one statement)."""
    with connection.cursor() as cursor:
        statements = []
        if held.ctes:
            statements.append(held.statement(cursor, "SELECT NULL"))
        if events:
            insert, values = insert_sql(events, returning=("id", "branch_id", "type"))
            deliveries, now = webhooks.fan_out_cte("new_events")
            statements.append(f"SELECT pg_advisory_xact_lock({_FEED_LOCK_KEY})")
            statements.append(
                bound(
                    cursor,
                    f"WITH new_events AS ({insert}), {deliveries} "  # noqa: S608 (no input in it)
                    "SELECT id, NULL FROM new_events UNION ALL "
                    "SELECT id, endpoint_id FROM deliveries",
                    (*values, *now),
                )
            )
        cursor.execute("; ".join(statements))
        if not events:
            return
        for _ in statements[:-1]:
            cursor.nextset()  # past the held writes' and the lock's results
        rows = cursor.fetchall()
    event_ids = sorted(row_id for row_id, endpoint_id in rows if endpoint_id is None)
    for event, event_id in zip(events, event_ids, strict=True):  # ids are drawn in row order
        event.pk = event_id
        event._state.adding, event._state.db = False, connection.alias
    webhooks.enqueue([(row_id, endpoint) for row_id, endpoint in rows if endpoint is not None])
