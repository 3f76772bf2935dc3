"""At most one delivery per endpoint is out at a time: the claim never hands a task one of an
endpoint's deliveries while another of them is leased, so a slow receiver holds one worker
thread and no more. Time is moved by the test (every service function takes `now`)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clinic import webhooks
from clinic.models import Branch, WebhookDelivery, WebhookEndpoint
from clinic.services import api_key_create


def _endpoint(port: int) -> WebhookEndpoint:
    if not Branch.objects.filter(slug="north").exists():
        api_key_create(branch_slug="north", name="desk")
    endpoint, _ = webhooks.webhook_create(
        branch=Branch.objects.get(slug="north"), url=f"http://127.0.0.1:{port}/hook",
        event_types=["intake.created"], description="", created_by="test",
    )  # fmt: skip
    return endpoint


def _due(endpoint: WebhookEndpoint, count: int, now) -> list[int]:
    """`count` deliveries to `endpoint`, due at `now`, their tasks on the way (none run)."""
    return [
        WebhookDelivery.objects.create(
            endpoint=endpoint, type=webhooks.TEST_EVENT_TYPE, created_at=now,
            scheduled_from=now, next_attempt_at=now, queued_at=now,
        ).pk
        for _ in range(count)
    ]  # fmt: skip


def _ids(claimed: list[webhooks.Claimed]) -> list[int]:
    return [c.delivery_id for c in claimed]


@pytest.mark.django_db
def test_a_claimed_delivery_keeps_its_endpoints_others_back_until_its_answer_is_recorded():
    slow, fast = _endpoint(9), _endpoint(10)
    now = timezone.now()
    first, second, third = _due(slow, 3, now)
    (other,) = _due(fast, 1, now)

    assert _ids(webhooks.deliveries_claim(delivery_ids=[first], now=now)) == [first]
    # The slow endpoint has one out: its next deliveries wait, another endpoint's do not.
    assert webhooks.deliveries_claim(delivery_ids=[second, third], now=now) == []
    assert webhooks.delivery_claim(delivery_id=second, now=now + timedelta(seconds=30)) is None
    assert _ids(webhooks.deliveries_claim(delivery_ids=[other], now=now)) == [other]
    # Neither the sweep nor a finishing task sends them on while the endpoint is busy...
    swept = {pk for batch in webhooks.deliveries_due(now=now) for pk in batch}
    assert not swept & {second, third}
    assert webhooks.deliveries_waiting(endpoint_id=slow.pk, now=now) == []

    webhooks.deliveries_delivered(delivered=[(first, 204)], now=now)

    # ...and once the answer is in, they go on, as one batch, to be claimed together.
    assert sorted(webhooks.deliveries_waiting(endpoint_id=slow.pk, now=now)) == [second, third]
    claimed = webhooks.deliveries_claim(delivery_ids=[second, third], now=now)
    assert _ids(claimed) == [second, third]


@pytest.mark.django_db
def test_a_failed_attempt_frees_the_endpoint_and_a_lost_lease_frees_it_too():
    endpoint = _endpoint(9)
    now = timezone.now()
    first, second, third = _due(endpoint, 3, now)

    assert _ids(webhooks.deliveries_claim(delivery_ids=[first], now=now)) == [first]
    webhooks.delivery_record(delivery_id=first, status_code=503, error="HTTP 503", now=now)
    # Its retry waits for its turn on the schedule; the endpoint is free meanwhile.
    assert _ids(webhooks.deliveries_claim(delivery_ids=[second], now=now)) == [second]
    assert webhooks.deliveries_claim(delivery_ids=[third], now=now) == []

    # The task sending `second` died without an answer: once its lease is out, the endpoint
    # is free again (and `second` due again, under the same webhook-id).
    later = now + webhooks.CLAIM_LEASE + timedelta(seconds=1)
    assert _ids(webhooks.deliveries_claim(delivery_ids=[second, third], now=later)) == [
        second,
        third,
    ]


@pytest.mark.django_db
def test_a_renewed_lease_keeps_the_endpoint_busy_past_the_first():
    endpoint = _endpoint(9)
    now = timezone.now()
    first, second = _due(endpoint, 2, now)
    webhooks.deliveries_claim(delivery_ids=[first], now=now)

    webhooks.deliveries_renew(delivery_ids=[first], now=now + timedelta(seconds=40))

    after_first_lease = now + webhooks.CLAIM_LEASE + timedelta(seconds=1)
    assert webhooks.deliveries_claim(delivery_ids=[first, second], now=after_first_lease) == []


def _claim_at_once(delivery_ids: list[int], now) -> list[int]:
    """Each delivery claimed by a thread of its own, on its own database connection, all
    released at the same instant; every delivery any of them got."""
    start = threading.Barrier(len(delivery_ids))
    got: list[int] = []
    errors: list[BaseException] = []

    def claim(delivery_id: int) -> None:
        try:
            start.wait()
            got.extend(_ids(webhooks.deliveries_claim(delivery_ids=[delivery_id], now=now)))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(pk,)) for pk in delivery_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return got


@pytest.mark.django_db(transaction=True)
def test_claims_racing_for_one_endpoint_hand_out_one_delivery_at_a_time():
    """Tasks for every delivery of one endpoint claim at the same instant, round after round:
    each round exactly one of them gets one (PostgreSQL runs them truly side by side)."""
    endpoint = _endpoint(9)
    now = timezone.now()
    pending = _due(endpoint, 12, now)
    for round_ in range(12):
        handed_out = _claim_at_once(pending, now)

        assert len(handed_out) == 1, f"round {round_}: {handed_out}"
        webhooks.deliveries_delivered(delivered=[(handed_out[0], 204)], now=now)
        pending.remove(handed_out[0])
    assert not pending
