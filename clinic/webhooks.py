"""Webhooks: subscriptions, and the delivery of change-feed events to them, at least once.

How an event gets out:
- `fan_out` runs inside the change's own transaction (clinic.events writes the feed there), and
  adds one delivery per subscribed endpoint in a single INSERT ... SELECT. A rolled-back change
  leaves neither event nor delivery; a committed one always has its deliveries.
- Once the transaction commits, one task per delivery goes to the worker (clinic.tasks): a web
  request never waits on a receiver, and one receiver never waits on another.
- The worker claims a due delivery (`delivery_claim`: a lease, so two tasks for it never send
  it at once), posts it, and records the answer (`delivery_record`), scheduling the next try on
  RETRY_DELAYS. A sweep every few seconds (`deliveries_due`) picks up what is due and anything
  whose task was lost (a worker killed mid-send lets its lease run out).
- One endpoint has at most one task sending to it at a time: the claim skips an endpoint that
  has a delivery out (an unexpired lease), so a slow receiver holds one worker thread, never
  all of them. What it skipped waits for the task holding the endpoint, which sends it on when
  done (`deliveries_waiting`), or for the sweep.
- While an endpoint does not answer at all (timeouts, refused connections), its new deliveries
  wait ("parked") instead of each holding a worker for up to the timeout; one of them probes it
  every PROBE_INTERVAL, and its first answer sends the rest at once. After five days in which
  every attempt failed the endpoint is disabled, with the reason, in the audit trail too.

`webhook-id` is the change-feed event's id on every attempt, so a receiver drops duplicates.
Functions take `now` so that tests move time rather than wait.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from standardwebhooks import Webhook

from clinic import webhook_secrets
from clinic.errors import Conflict
from clinic.models import AuditEvent, Branch, Event, WebhookDelivery, WebhookEndpoint

# The wait before each attempt: the first at once, the eighth and last 10 hours after the 7th.
RETRY_DELAYS = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=5)
ROTATION_OVERLAP = timedelta(hours=24)
# A claimed delivery is not due again until its lease runs out: longer than any send (10 s
# timeouts), so it is sent twice only if the worker sending it died.
CLAIM_LEASE = timedelta(seconds=60)
PROBE_INTERVAL = timedelta(seconds=30)
# Retries this soon go to the broker with a countdown; later ones are left to the sweep.
COUNTDOWN_LIMIT = timedelta(minutes=5)
TEST_EVENT_TYPE = "webhook.test"
Pending = WebhookDelivery.State.PENDING


# Subscriptions ------------------------------------------------------------------------------


def webhook_create(
    *, branch: Branch, url: str, event_types: list[str], description: str, created_by: str
) -> tuple[WebhookEndpoint, str]:
    """Subscribe an endpoint; returns it and its secret, which is shown this once. The URL has
    been checked (clinic.webhook_sending.check_url) by the caller's validation."""
    secret = webhook_secrets.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        branch=branch,
        url=url,
        event_types=sorted(set(event_types)),
        description=description,
        created_by=created_by,
        created_at=timezone.now(),
        secret_encrypted=webhook_secrets.encrypt(secret),
    )
    return endpoint, secret


def webhook_rotate_secret(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP."""
    now = now or timezone.now()
    secret = webhook_secrets.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.secret_encrypted = webhook_secrets.encrypt(secret)
        endpoint.save(
            update_fields=[
                "previous_secret_encrypted",
                "previous_secret_expires_at",
                "secret_encrypted",
            ]
        )
    return endpoint, secret


def webhook_delete(*, endpoint: WebhookEndpoint) -> None:
    """Unsubscribe: the endpoint and its delivery log go; nothing more is sent to it."""
    endpoint.delete()


def webhook_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint only, sent now (even to a disabled one, so
    an admin can see whether the receiver answers again)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            type=TEST_EVENT_TYPE,
            created_at=now,
            scheduled_from=now,
            next_attempt_at=now,
            queued_at=now,
        )
        _enqueue_on_commit([delivery.pk])
    return delivery


def delivery_resend(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Deliver the event again, as a new round of attempts on the retry schedule."""
    now = now or timezone.now()
    if delivery.endpoint.disabled_at is not None and delivery.event_id is not None:
        raise Conflict(
            {"endpoint": ["The endpoint is disabled; subscribe it again to resume deliveries."]},
            code="endpoint_disabled",
        )
    with transaction.atomic():
        delivery.state = Pending
        delivery.attempts = 0
        delivery.scheduled_from = now
        delivery.next_attempt_at = now
        delivery.queued_at = now
        delivery.delivered_at = None
        delivery.save(
            update_fields=["state", "attempts", "scheduled_from", "next_attempt_at",
                           "queued_at", "delivered_at"]
        )  # fmt: skip
        _enqueue_on_commit([delivery.pk])
    return delivery


# Fan-out from the change feed ----------------------------------------------------------------

_FAN_OUT_SQL = """
INSERT INTO clinic_webhookdelivery
    (endpoint_id, event_id, type, state, attempts, created_at, scheduled_from,
     next_attempt_at, queued_at, last_error)
SELECT w.id, e.id, e.type, 'pending', 0, {now}, {now}, {now}, {now}, ''
FROM {events} e
JOIN clinic_webhookendpoint w ON w.branch_id = e.branch_id
WHERE {which} w.disabled_at IS NULL AND {subscribed}
RETURNING id, endpoint_id
"""
_SUBSCRIBED = {
    "postgresql": "w.event_types @> jsonb_build_array(e.type)",
    "sqlite": "EXISTS (SELECT 1 FROM json_each(w.event_types) t WHERE t.value = e.type)",
}


def fan_out(events: Iterable[Event]) -> list[int]:
    """Create the deliveries of events just written, in their transaction, with one
    statement; their tasks are sent once it commits. Returns the deliveries' ids."""
    ids = [int(event.pk) for event in events if event.pk is not None]
    if not ids:
        return []
    assert connection.in_atomic_block, "deliveries are written in the change's own transaction"
    placeholders = ", ".join(["%(e" + str(n) + ")s" for n in range(len(ids))])
    sql = _FAN_OUT_SQL.format(
        events="clinic_event",
        now="%(now)s",
        which=f"e.id IN ({placeholders}) AND",
        subscribed=_SUBSCRIBED[connection.vendor],
    )
    params: dict[str, Any] = {f"e{n}": event_id for n, event_id in enumerate(ids)}
    params["now"] = adapted_now()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    enqueue(rows)
    return [delivery_id for delivery_id, _ in rows]


def fan_out_cte(events: str) -> tuple[str, list[Any]]:
    """`deliveries AS (...)` and its parameters: the same deliveries, for the events that a
    CTE named `events` has just inserted (RETURNING id, branch_id, type), inside a larger
    statement on PostgreSQL; `enqueue` what it returns."""
    sql = _FAN_OUT_SQL.format(
        events=events, now="%s", which="", subscribed=_SUBSCRIBED["postgresql"]
    )
    return f"deliveries AS ({sql})", [adapted_now()] * 4  # one per {now} in the SQL


def adapted_now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def enqueue(rows: Iterable[tuple[int, Any]]) -> None:
    """Once the transaction commits, send the deliveries (id, endpoint id) just created.
    One task per endpoint for what this change sent it, in event order: a receiver's slowness
    holds up only its own deliveries, and a change with several events costs one message to
    the broker per endpoint, not one per event."""
    by_endpoint: dict[Any, list[int]] = {}
    for delivery_id, endpoint_id in sorted(rows):
        by_endpoint.setdefault(endpoint_id, []).append(delivery_id)
    for group in by_endpoint.values():
        _enqueue_on_commit(group)


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    """Once the transaction commits, a task sends these deliveries (all to one endpoint)."""
    if not delivery_ids:
        return

    def enqueue() -> None:
        from clinic import tasks  # the tasks call this module: import them only when needed

        if len(delivery_ids) == 1:
            tasks.deliver_webhook.delay(delivery_ids[0])
        else:
            tasks.deliver_webhooks.delay(delivery_ids)

    transaction.on_commit(enqueue, robust=True)


# The message ----------------------------------------------------------------------------------


def _timestamp(value: datetime) -> str:
    # As the API writes date-times (DRF): local time, ISO 8601, `Z` for UTC.
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def event_data(event: Event) -> dict[str, Any]:
    """The event as the change feed (GET /api/v1/events/) shows it: ids and coded values."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "id": event.pk,
        "type": event.type,
        "occurred_at": _timestamp(event.occurred_at),
        "patient_id": text(event.patient_id),
        "intake_id": text(event.intake_id),
        "referral_id": text(event.referral_id),
        "review_id": text(event.review_id),
        "data": event.data,
    }


def message_body(delivery: WebhookDelivery) -> bytes:
    """The delivery's JSON body: the same bytes on every attempt."""
    if delivery.event is not None:
        body = {
            "type": delivery.event.type,
            "timestamp": _timestamp(delivery.event.occurred_at),
            "data": event_data(delivery.event),
        }
    else:
        body = {
            "type": delivery.type,
            "timestamp": _timestamp(delivery.created_at),
            "data": {"webhook_id": str(delivery.endpoint_id)},
        }
    return json.dumps(body, separators=(",", ":")).encode()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the one it replaced for 24 hours."""
    secrets = [webhook_secrets.decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and now < expires:
        secrets.append(webhook_secrets.decrypt(endpoint.previous_secret_encrypted))
    return secrets


def message_headers(delivery: WebhookDelivery, body: bytes, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers: one `v1,` signature per signing secret, space-separated."""
    signatures = [
        Webhook(secret).sign(delivery.message_id, now, body.decode())
        for secret in signing_secrets(delivery.endpoint, now)
    ]
    return {
        "content-type": "application/json",
        "user-agent": "clinic-triage-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


# Sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    endpoint_id: UUID
    url: str
    body: bytes
    headers: dict[str, str]
    endpoint_healthy: bool  # neither failing nor unreachable when claimed


def delivery_claim(*, delivery_id: int, now: datetime | None = None) -> Claimed | None:
    """Take a due delivery for one attempt, or None if it is not due (delivered, leased by
    another task, waiting) or must wait for its endpoint to answer again."""
    claimed = deliveries_claim(delivery_ids=[delivery_id], now=now)
    return claimed[0] if claimed else None


@contextmanager
def _bookkeeping() -> Iterator[None]:
    """A transaction for a delivery's own state, which PostgreSQL may commit without waiting
    for the disk: a crash could lose only the last moments' claims and outcomes, and that
    means a delivery sent again under the same webhook-id, which at-least-once allows. It
    spares each send two disk flushes."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _sending(now: datetime) -> Exists:
    """Whether the row's endpoint has a delivery out now (leased to a task that sends it)."""
    return Exists(
        WebhookDelivery.objects.filter(endpoint_id=OuterRef("endpoint_id"), leased_until__gt=now)
    )


def deliveries_claim(*, delivery_ids: list[int], now: datetime | None = None) -> list[Claimed]:
    """Take those of these deliveries that are due, for one attempt each, in one transaction:
    rows another task holds are skipped, and once this commits they are leased (not due) for
    CLAIM_LEASE. So is any delivery whose endpoint has one out already (at most one task sends
    to an endpoint at a time); it is left for that task to send on, or for the sweep. The
    messages to send, in id order."""
    now = now or timezone.now()
    with _bookkeeping():
        # The endpoints first, each locked for this transaction (FOR NO KEY UPDATE, which an
        # intake's INSERT of a delivery does not wait on); one another claim holds is being
        # taken right now, so it is skipped as busy. Holding it, the next statement sees every
        # lease committed before (PostgreSQL's READ COMMITTED takes a snapshot per statement):
        # two claims cannot both find an endpoint free and each take one of its deliveries.
        free = list(
            WebhookEndpoint.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk__in=WebhookDelivery.objects.filter(pk__in=delivery_ids).values("endpoint"))
            .values_list("pk", flat=True)
        )
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk__in=delivery_ids, endpoint__in=free, state=Pending, next_attempt_at__lte=now)
            .exclude(_sending(now))
            .order_by("pk")
        )
        claimed: list[Claimed] = []
        parked: list[int] = []
        for delivery in due:
            endpoint = delivery.endpoint
            if endpoint.disabled_at is not None and delivery.event_id is not None:
                _fail(delivery, "The endpoint is disabled.")
                delivery.save()
                continue
            # Fresh: never tried, nor sent on as a probe (which restarts its schedule).
            fresh = (
                delivery.last_attempt_at is None
                and delivery.scheduled_from == delivery.created_at
                and delivery.event_id is not None
            )
            if endpoint.unreachable_since is not None and fresh:
                parked.append(delivery.pk)  # until the endpoint answers again
                continue
            delivery.attempts += 1
            body = message_body(delivery)
            healthy = endpoint.failing_since is None and endpoint.unreachable_since is None
            headers = message_headers(delivery, body, now)
            claimed.append(Claimed(delivery.pk, endpoint.pk, endpoint.url, body, headers, healthy))
        if parked:
            WebhookDelivery.objects.filter(pk__in=parked).update(
                next_attempt_at=None, queued_at=None
            )
        if claimed:
            lease = now + CLAIM_LEASE
            WebhookDelivery.objects.filter(pk__in=[c.delivery_id for c in claimed]).update(
                attempts=F("attempts") + 1,
                last_attempt_at=now,
                next_attempt_at=lease,
                leased_until=lease,
                queued_at=now,  # this task: the sweep re-sends only once the lease is out
            )
        taken = {d.pk for d in due}
    # Due but skipped (their endpoint busy, or their row held for a moment by another
    # transaction): no task is on its way for them now, so the sweep may send one once the
    # endpoint is free, if the task holding it does not send them on first. In a transaction
    # of its own, after the endpoint locks are released: it may wait for a row (a recording
    # task holding one while it waits for its endpoint), never skip one, which would leave
    # it to the requeue of a lost task, minutes later.
    waiting = [pk for pk in delivery_ids if pk not in taken]
    if waiting:
        not_out = Q(leased_until__isnull=True) | Q(leased_until__lte=now)
        with _bookkeeping():
            WebhookDelivery.objects.filter(
                not_out, pk__in=waiting, state=Pending, next_attempt_at__lte=now
            ).update(queued_at=None)
    return claimed


def deliveries_renew(*, delivery_ids: list[int], now: datetime | None = None) -> None:
    """Extend the lease of claimed deliveries not yet recorded, for a task still sending the
    rest of its batch to a slow receiver: they are not due again, nor is their endpoint free,
    while it is alive."""
    now = now or timezone.now()
    lease = now + CLAIM_LEASE
    with _bookkeeping():
        WebhookDelivery.objects.filter(
            pk__in=delivery_ids, state=Pending, leased_until__isnull=False
        ).update(leased_until=lease, next_attempt_at=lease)


def deliveries_delivered(*, delivered: list[tuple[int, int]], now: datetime | None = None) -> None:
    """Record the 2xx answers (delivery id, status code) of deliveries claimed from an endpoint
    neither failing nor unreachable: a statement per status code (usually one), and no lock on
    the endpoint that all its deliveries share."""
    now = now or timezone.now()
    by_status: dict[int, list[int]] = {}
    for delivery_id, status_code in delivered:
        by_status.setdefault(status_code, []).append(delivery_id)
    with _bookkeeping():
        for status_code, ids in by_status.items():
            WebhookDelivery.objects.filter(pk__in=ids).update(
                state=WebhookDelivery.State.DELIVERED, delivered_at=now, next_attempt_at=None,
                queued_at=None, leased_until=None, last_status_code=status_code, last_error="",
            )  # fmt: skip


def _fail(delivery: WebhookDelivery, error: str) -> None:
    delivery.state = WebhookDelivery.State.FAILED
    delivery.next_attempt_at = None
    delivery.queued_at = None
    delivery.leased_until = None
    delivery.last_error = error[:200]


def delivery_record(
    *, delivery_id: int, status_code: int | None, error: str, now: datetime | None = None
) -> timedelta | None:
    """Record an attempt's outcome. Returns how soon to try again if soon enough for a
    countdown task (else the sweep sends it when due), or None. (A 2xx from an endpoint that
    was neither failing nor unreachable is recorded by `deliveries_delivered` instead.)"""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        delivery.last_status_code = status_code
        delivery.last_error = error[:200]
        delivery.leased_until = None  # its endpoint is free for the next one
        answered = status_code is not None
        if answered and endpoint.unreachable_since is not None:
            endpoint.unreachable_since = None
            _send_parked(endpoint, now)
        if answered and 200 <= status_code < 300:  # type: ignore[operator]
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.queued_at = None
            delivery.last_error = ""
            delivery.save()
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                # The receiver is back: what waits for a later retry goes now.
                WebhookDelivery.objects.filter(
                    endpoint=endpoint, state=Pending, next_attempt_at__gt=now
                ).exclude(pk=delivery.pk).update(next_attempt_at=now, queued_at=None)
            endpoint.save(update_fields=["failing_since", "unreachable_since"])
            return None
        if not answered and endpoint.unreachable_since is None:
            endpoint.unreachable_since = now
            endpoint.probe_after = now + PROBE_INTERVAL
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        retry: timedelta | None = None
        if delivery.attempts >= len(RETRY_DELAYS):
            _fail(delivery, error or "failed")
            # Keep one delivery probing a silent endpoint, so it can still come back.
            _send_parked(endpoint, now, limit=1)
        else:
            wait = RETRY_DELAYS[delivery.attempts]
            delivery.next_attempt_at = now + wait
            retry = wait if wait <= COUNTDOWN_LIMIT else None
            delivery.queued_at = delivery.next_attempt_at if retry is not None else None
        delivery.save()
        if now - endpoint.failing_since >= DISABLE_AFTER and endpoint.disabled_at is None:
            _disable(endpoint, now, error)
        endpoint.save(
            update_fields=["failing_since", "unreachable_since", "probe_after",
                           "disabled_at", "disabled_reason"]
        )  # fmt: skip
        return retry


def _send_parked(endpoint: WebhookEndpoint, now: datetime, limit: int | None = None) -> None:
    parked = WebhookDelivery.objects.filter(
        endpoint=endpoint, state=Pending, next_attempt_at__isnull=True
    )
    if limit is not None:
        parked = WebhookDelivery.objects.filter(
            pk__in=list(parked.order_by("id").values_list("pk", flat=True)[:limit])
        )
    parked.update(next_attempt_at=now, scheduled_from=now, queued_at=None)


def _disable(endpoint: WebhookEndpoint, now: datetime, error: str) -> None:
    endpoint.disabled_at = now
    days = DISABLE_AFTER.days
    endpoint.disabled_reason = f"Every delivery failed for {days} days (last: {error or '-'})."[
        :200
    ]
    WebhookDelivery.objects.filter(endpoint=endpoint, state=Pending).update(
        state=WebhookDelivery.State.FAILED,
        next_attempt_at=None,
        queued_at=None,
        leased_until=None,
        last_error="The endpoint was disabled.",
    )
    # The branch's clinic admins find why in the audit trail, as well as the API and admin.
    # Written as clinic.audit.record writes a record, with no request: the worker did this.
    AuditEvent.objects.create(
        at=now,
        actor="system:webhooks",
        branch_id=endpoint.branch_id,
        action="webhook.disabled",
        object_type="webhook",
        object_ids=[str(endpoint.pk)],
        request_id="-",
        status_code=200,
        outcome="allowed",
    )


SWEEP_BATCH = 50  # deliveries to one endpoint per task the sweep sends


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[list[int]]:
    """The sweep: deliveries due whose task is not on its way (none sent, or one sent long
    enough ago to be lost), marked as sent now, in batches of one endpoint's (a task each:
    a backlog drains fast once a receiver is back, and no endpoint waits on another); and a
    probe for each silent endpoint. An endpoint with a delivery out is left to the task
    sending it."""
    now = now or timezone.now()
    with transaction.atomic():
        probing = WebhookEndpoint.objects.select_for_update(skip_locked=True).filter(
            unreachable_since__isnull=False, disabled_at__isnull=True, probe_after__lte=now
        )
        for endpoint in probing:
            _send_parked(endpoint, now, limit=1)
            endpoint.probe_after = now + PROBE_INTERVAL
            endpoint.save(update_fields=["probe_after"])
        rows = _take_due(now, limit=limit)
    by_endpoint: dict[Any, list[int]] = {}
    for pk, endpoint_id in sorted(rows):
        by_endpoint.setdefault(endpoint_id, []).append(pk)
    return [
        ids[start : start + SWEEP_BATCH]
        for ids in by_endpoint.values()
        for start in range(0, len(ids), SWEEP_BATCH)
    ]


def deliveries_waiting(*, endpoint_id: UUID, now: datetime | None = None) -> list[int]:
    """For a task that has just finished sending to this endpoint: its deliveries that are
    due and have no task on the way (those the claim skipped while the endpoint was busy), up
    to SWEEP_BATCH, marked as sent now. Sent on at once, they need not wait for the sweep."""
    now = now or timezone.now()
    with transaction.atomic():
        return [pk for pk, _ in _take_due(now, limit=SWEEP_BATCH, endpoint_id=endpoint_id)]


def _take_due(
    now: datetime, *, limit: int, endpoint_id: UUID | None = None
) -> list[tuple[int, UUID]]:
    """(delivery, endpoint) of due deliveries with no task on the way, to endpoints with none
    out, marked as sent now; inside the caller's transaction."""
    # A task sent this long ago and not yet run is taken for lost and sent again: long enough
    # that a backlog in the broker is not doubled, short enough that a lost one is not late.
    requeue_after = timedelta(seconds=settings.WEBHOOK_REQUEUE_SECONDS)
    # The endpoints with a delivery out, found once: asked row by row (as the claim asks for
    # its few), a backlog of thousands would cost a probe each, every sweep. A lease cleared
    # a moment ago leaves its old row version in the index until vacuumed, so each probe
    # would also wade through the last minute's. (Only an optimisation: the claim decides.)
    busy = set(
        WebhookDelivery.objects.filter(leased_until__gt=now)
        .order_by()
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    due = (
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(state=Pending, next_attempt_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue_after))
        .exclude(endpoint_id__in=busy)
        .order_by("next_attempt_at")
    )
    if endpoint_id is not None:
        due = due.filter(endpoint_id=endpoint_id)
    rows = list(due.values_list("pk", "endpoint_id")[:limit])
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(queued_at=now)
    return rows
