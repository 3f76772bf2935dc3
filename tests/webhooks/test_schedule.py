"""Retries on the schedule, disabling after five days, rotation: with time moved by the test
(every service function takes `now`), never slept through."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from clinic import webhooks
from clinic.events import record_event
from clinic.models import AuditEvent, Branch, WebhookDelivery, WebhookEndpoint
from tests.webhooks.helpers import WEBHOOKS, subscribe

URL = "http://127.0.0.1:9/hook"
# The schedule, transcribed: the wait before each attempt.
SCHEDULE = [
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


def _event(slug: str = "north", type: str = "intake.created") -> WebhookDelivery:
    with transaction.atomic():
        event = record_event(branch=Branch.objects.get(slug=slug), type=type)
    return WebhookDelivery.objects.get(event=event)


def _attempt(delivery: WebhookDelivery, now, status: int | None = 500, error: str = "HTTP 500"):
    claimed = webhooks.delivery_claim(delivery_id=delivery.pk, now=now)
    assert claimed is not None, f"not due at {now}"
    webhooks.delivery_record(delivery_id=delivery.pk, status_code=status, error=error, now=now)
    delivery.refresh_from_db()
    return claimed


def test_a_failing_delivery_is_retried_on_the_schedule_then_given_up(admin):
    subscribe(admin, URL)
    delivery = _event()
    now = delivery.next_attempt_at

    for number, wait in enumerate(SCHEDULE, start=1):
        now += wait
        early = now - timedelta(seconds=1)
        if wait:
            assert webhooks.delivery_claim(delivery_id=delivery.pk, now=early) is None
        _attempt(delivery, now)
        assert delivery.attempts == number

    assert delivery.state == "failed"
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 500


@pytest.mark.parametrize("status", [None, 301, 400, 404, 500, 503])
def test_anything_but_a_2xx_is_retried(admin, status):
    subscribe(admin, URL)
    delivery = _event()
    now = delivery.next_attempt_at

    _attempt(delivery, now, status=status, error="whatever")

    assert delivery.state == "pending"
    assert delivery.next_attempt_at == now + timedelta(seconds=5)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_a_2xx_is_a_delivery(admin, status):
    subscribe(admin, URL)
    delivery = _event()

    _attempt(delivery, delivery.next_attempt_at, status=status, error="")

    assert delivery.state == "delivered"
    assert webhooks.delivery_claim(delivery_id=delivery.pk, now=timezone.now()) is None


def test_a_claimed_delivery_is_not_sent_twice_until_its_lease_runs_out(admin, settings):
    settings.WEBHOOK_REQUEUE_SECONDS = 30
    subscribe(admin, URL)
    delivery = _event()
    now = delivery.next_attempt_at

    assert webhooks.delivery_claim(delivery_id=delivery.pk, now=now) is not None
    assert webhooks.delivery_claim(delivery_id=delivery.pk, now=now) is None
    assert webhooks.deliveries_due(now=now + timedelta(seconds=59)) == []
    # The worker died mid-send: once the lease is out the sweep sends it again.
    assert webhooks.deliveries_due(now=now + timedelta(seconds=61)) == [[delivery.pk]]
    assert webhooks.delivery_claim(delivery_id=delivery.pk, now=now + timedelta(seconds=61))


def test_the_sweep_sends_what_is_due_once(admin):
    subscribe(admin, URL)
    delivery = _event()
    assert webhooks.deliveries_due(now=delivery.next_attempt_at) == []  # its task is on its way
    later = delivery.next_attempt_at + timedelta(seconds=121)  # its first task looks lost

    assert webhooks.deliveries_due(now=later) == [[delivery.pk]]
    assert webhooks.deliveries_due(now=later + timedelta(seconds=1)) == []


def test_after_five_days_of_failures_the_endpoint_is_disabled(admin):
    created = subscribe(admin, URL)
    first = _event()
    start = first.next_attempt_at
    _attempt(first, start)
    later = _event()

    _attempt(later, start + timedelta(days=4))
    assert WebhookEndpoint.objects.get().disabled_at is None
    webhooks.delivery_resend(delivery=later, now=start + timedelta(days=5))
    _attempt(later, start + timedelta(days=5), status=None, error="timed out")

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.disabled_at == start + timedelta(days=5)
    assert endpoint.disabled_reason == "Every delivery failed for 5 days (last: timed out)."
    shown = admin.get(f"{WEBHOOKS}{created['id']}/").json()
    assert shown["disabled_reason"] == endpoint.disabled_reason
    assert shown["disabled_at"] is not None
    audit = AuditEvent.objects.get(action="webhook.disabled")
    assert (audit.branch.slug, audit.object_ids, audit.actor) == (
        "north", [created["id"]], "system:webhooks")  # fmt: skip
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"failed"}
    # A disabled endpoint is sent nothing more, and a resend is refused naming why.
    with transaction.atomic():
        record_event(branch=Branch.objects.get(slug="north"), type="intake.created")
    assert WebhookDelivery.objects.count() == 2
    refused = admin.post(f"{WEBHOOKS}deliveries/{later.pk}/resend/")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "endpoint"


def test_a_success_ends_the_failing_run(admin):
    subscribe(admin, URL)
    first = _event()
    start = first.next_attempt_at
    _attempt(first, start)
    _attempt(first, start + timedelta(seconds=5), status=204, error="")
    later = _event()

    _attempt(later, start + timedelta(days=6))

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.disabled_at is None
    assert endpoint.failing_since == start + timedelta(days=6)


def test_while_an_endpoint_is_silent_new_deliveries_wait_and_go_when_it_answers(admin):
    subscribe(admin, URL)
    first = _event()
    now = first.next_attempt_at
    _attempt(first, now, status=None, error="connection refused")
    _attempt(first, now + timedelta(seconds=5), status=None, error="connection refused")
    waiting = _event()
    now = waiting.next_attempt_at

    # Parked: no worker is tied up on a receiver that does not answer.
    assert webhooks.delivery_claim(delivery_id=waiting.pk, now=now) is None
    waiting.refresh_from_db()
    assert waiting.next_attempt_at is None and waiting.attempts == 0
    # One probe goes every 30 seconds.
    assert webhooks.deliveries_due(now=now + timedelta(seconds=31)) == [[waiting.pk]]
    _attempt(waiting, now + timedelta(seconds=31), status=204, error="")
    # It answered: the earlier delivery's retry goes at once rather than on its schedule.
    first.refresh_from_db()
    assert first.next_attempt_at == now + timedelta(seconds=31)
    assert first.attempts == 2


def test_rotation_signs_with_both_secrets_for_a_day_then_only_the_new(admin):
    created = subscribe(admin, URL)
    delivery = _event()
    rotated = admin.post(f"{WEBHOOKS}{created['id']}/rotate-secret/").json()
    old, new = Webhook(created["secret"]), Webhook(rotated["secret"])
    now = timezone.now()

    claimed = webhooks.delivery_claim(delivery_id=delivery.pk, now=now)
    old.verify(claimed.body, claimed.headers)
    new.verify(claimed.body, claimed.headers)
    assert len(claimed.headers["webhook-signature"].split(" ")) == 2

    day_later = now + timedelta(hours=24, seconds=1)
    headers = webhooks.message_headers(delivery, claimed.body, day_later)
    signatures = headers["webhook-signature"].split(" ")
    assert signatures == [new.sign(delivery.message_id, day_later, claimed.body.decode())]
    assert old.sign(delivery.message_id, day_later, claimed.body.decode()) not in signatures
