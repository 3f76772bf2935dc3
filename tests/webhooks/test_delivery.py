"""Deliveries: from a committed change to a signed POST on the receiver, and never for a
rolled-back one. The tasks run in the test's process (CELERY_TASK_ALWAYS_EAGER) once the
change's transaction commits; the receiver listens on loopback."""

import json

import pytest
from django.db import connection, transaction
from standardwebhooks import Webhook

from clinic.events import record_event
from clinic.models import Branch, Event, WebhookDelivery
from tests.api.helpers import INTAKES
from tests.conftest import intake_body
from tests.webhooks.helpers import WEBHOOKS, subscribe
from tests.webhooks.receiver import receiver


@pytest.fixture
def hook(admin):
    with receiver() as got:
        created = subscribe(admin, got.url, ["intake.created", "assessment.created"])
        got.secret = created["secret"]
        got.id = created["id"]
        yield got


def _post_intake(client, capture, **kwargs):
    with capture(execute=True):
        response = client.post(INTAKES, intake_body(**kwargs), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_intake_is_delivered_signed_with_the_event_s_id(
    api, hook, django_capture_on_commit_callbacks
):
    intake = _post_intake(api, django_capture_on_commit_callbacks)

    events = list(Event.objects.filter(intake_id=intake["id"]).order_by("id"))
    assert [r.headers["webhook-id"] for r in hook.requests] == [str(e.id) for e in events]
    for request in hook.requests:
        payload = Webhook(hook.secret).verify(request.body, request.headers)
        assert payload["type"] in ("intake.created", "assessment.created")
        assert payload["data"]["intake_id"] == intake["id"]
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_the_payload_is_the_feed_s_event_as_the_feed_api_shows_it(
    api, hook, django_capture_on_commit_callbacks
):
    _post_intake(api, django_capture_on_commit_callbacks)

    feed = {item["id"]: item for item in api.get("/api/v1/events/").json()["results"]}
    for request in hook.requests:
        body = json.loads(request.body)
        assert set(body) == {"type", "timestamp", "data"}
        assert body["data"] == feed[body["data"]["id"]]
        assert body["timestamp"] == body["data"]["occurred_at"]


def test_the_payload_carries_no_patient_identifiers(api, hook, django_capture_on_commit_callbacks):
    body = intake_body(external_id="MRN-SECRET-77", age=61)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(INTAKES, body, format="json")

    sent = b" ".join(r.body for r in hook.requests).decode()
    assert hook.requests
    assert "MRN-SECRET-77" not in sent
    assert body["patient"]["date_of_birth"] not in sent
    for key in ("external_id", "date_of_birth", "answers", "name"):
        assert f'"{key}"' not in sent


def test_unsubscribed_types_and_other_branches_are_not_sent(
    admin, other_api, hook, django_capture_on_commit_callbacks
):
    _post_intake(other_api, django_capture_on_commit_callbacks)

    assert hook.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_change_leaves_no_delivery(hook):
    branch = Branch.objects.get(slug="north")

    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(branch=branch, type="intake.created")
        assert WebhookDelivery.objects.count() == 1  # written beside the event...
        raise RuntimeError("the change fails")

    assert not WebhookDelivery.objects.exists()  # ...and gone with it
    assert not Event.objects.exists()
    assert hook.requests == []


def test_a_batch_of_events_gets_its_deliveries_in_one_statement(hook, django_assert_num_queries):
    from clinic.events import feed_batch

    branch = Branch.objects.get(slug="north")
    # The events' INSERT, then the deliveries' INSERT ... SELECT: nothing per event. On
    # PostgreSQL both go in one statement, sent with the feed's lock.
    statements = 1 if connection.vendor == "postgresql" else 2
    with transaction.atomic(), django_assert_num_queries(statements), feed_batch():
        record_event(branch=branch, type="intake.created")
        record_event(branch=branch, type="assessment.created")
        record_event(branch=branch, type="review.created")  # not subscribed
    assert WebhookDelivery.objects.count() == 2


def test_the_test_event_goes_to_that_endpoint_only(admin, django_capture_on_commit_callbacks):
    with receiver() as first, receiver() as second:
        one = subscribe(admin, first.url)
        subscribe(admin, second.url)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(f"{WEBHOOKS}{one['id']}/test/")

        assert response.status_code == 202
        assert second.requests == []
        (request,) = first.requests
        payload = Webhook(one["secret"]).verify(request.body, request.headers)
        assert payload["type"] == "webhook.test"
        assert payload["data"] == {"webhook_id": one["id"]}
        assert request.headers["webhook-id"] == response.json()["message_id"]


def test_a_resend_delivers_the_event_again_under_the_same_id(
    admin, api, hook, django_capture_on_commit_callbacks
):
    _post_intake(api, django_capture_on_commit_callbacks)
    log = admin.get(f"{WEBHOOKS}{hook.id}/deliveries/").json()["results"]
    first = hook.requests[[r.headers["webhook-id"] for r in hook.requests].index(
        log[0]["message_id"])]  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"{WEBHOOKS}deliveries/{log[0]['id']}/resend/")

    assert response.status_code == 202
    again = hook.requests[-1]
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    assert again.body == first.body
    Webhook(hook.secret).verify(again.body, again.headers)


def test_the_delivery_log_shows_each_delivery(admin, api, hook, django_capture_on_commit_callbacks):
    hook.status = 500
    _post_intake(api, django_capture_on_commit_callbacks)

    log = admin.get(f"{WEBHOOKS}{hook.id}/deliveries/").json()
    assert log["count"] == 2
    for item in log["results"]:
        assert item["state"] == "pending"
        assert item["attempts"] == 1
        assert item["last_status_code"] == 500
        assert item["last_error"] == "HTTP 500"
        assert item["next_attempt_at"] is not None


def test_another_branch_s_delivery_cannot_be_resent(
    other_admin, api, hook, django_capture_on_commit_callbacks
):
    _post_intake(api, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.first()

    response = other_admin.post(f"{WEBHOOKS}deliveries/{delivery.pk}/resend/")

    assert response.status_code == 404
