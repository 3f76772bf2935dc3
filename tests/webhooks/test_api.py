"""The webhook endpoints: who may use them, what they answer, what they refuse."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.models import AuditEvent, WebhookEndpoint
from tests.api.helpers import error_fields
from tests.conftest import staff_client
from tests.webhooks.helpers import WEBHOOKS, subscribe

URL = "http://127.0.0.1:9/hook"


def test_a_clinic_admin_subscribes_and_sees_the_secret_once(admin):
    created = subscribe(admin, URL, ["intake.created"])

    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    assert created["url"] == URL
    assert created["event_types"] == ["intake.created"]
    assert created["branch"] == "north"
    assert created["created_by"] == "user:admin.north"
    again = admin.get(f"{WEBHOOKS}{created['id']}/")
    assert again.status_code == 200
    assert "secret" not in again.json()
    assert "secret" not in admin.get(WEBHOOKS).json()["results"][0]


def test_the_secret_is_stored_encrypted(admin):
    created = subscribe(admin, URL)

    stored = WebhookEndpoint.objects.values_list("secret_encrypted", flat=True).get()
    raw = created["secret"].removeprefix("whsec_")
    assert raw not in stored and created["secret"] not in stored


@pytest.mark.parametrize("role", ["reception", "clinician", "safety_officer"])
def test_only_clinic_admins_manage_webhooks(db, role):
    client = staff_client(f"{role}.north", "north", role)

    response = client.post(WEBHOOKS, {"url": URL, "event_types": ["intake.created"]}, format="json")

    assert response.status_code == 403
    assert client.get(WEBHOOKS).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_a_reception_key_may_not_manage_webhooks(api):
    response = api.post(WEBHOOKS, {"url": URL, "event_types": ["intake.created"]}, format="json")

    assert response.status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_another_branch_s_webhook_is_not_found(admin, other_admin):
    theirs = subscribe(other_admin, URL)

    assert admin.get(f"{WEBHOOKS}{theirs['id']}/").status_code == 404
    assert admin.delete(f"{WEBHOOKS}{theirs['id']}/").status_code == 404
    assert admin.post(f"{WEBHOOKS}{theirs['id']}/rotate-secret/").status_code == 404
    assert admin.post(f"{WEBHOOKS}{theirs['id']}/test/").status_code == 404
    assert admin.get(f"{WEBHOOKS}{theirs['id']}/deliveries/").status_code == 404
    assert admin.get(WEBHOOKS).json()["results"] == []
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "not a url", "event_types": ["intake.created"]}, "url"),
        ({"url": URL, "event_types": ["patient.read"]}, "event_types.0"),
        ({"url": URL, "event_types": []}, "event_types"),
        ({"url": URL, "event_types": ["intake.created", "intake.created"]}, "event_types"),
        ({"url": URL, "event_types": ["intake.created"], "secret": "whsec_x"}, "secret"),
        ({"event_types": ["intake.created"]}, "url"),
        ({"url": "ftp://127.0.0.1/x", "event_types": ["intake.created"]}, "url"),
        ({"url": "http://user:pw@127.0.0.1/x", "event_types": ["intake.created"]}, "url"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(admin, body, field):
    response = admin.post(WEBHOOKS, body, format="json")

    assert response.status_code == 400, response.content
    assert field in error_fields(response) or field.split(".")[0] in error_fields(response)
    assert not WebhookEndpoint.objects.exists()
    # Errors never repeat what was sent.
    for value in ("not a url", "patient.read", "whsec_x", "user:pw", "ftp://"):
        assert value not in response.content.decode()


def test_without_private_networks_only_public_https_receivers_are_accepted(admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    refused = [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
    ]
    for url in refused:
        body = {"url": url, "event_types": ["intake.created"]}
        response = admin.post(WEBHOOKS, body, format="json")
        assert response.status_code == 400, url
        assert error_fields(response) == {"url"}
    assert not WebhookEndpoint.objects.exists()


def test_rotation_answers_a_new_secret_and_keeps_the_old_for_a_day(admin):
    created = subscribe(admin, URL)

    response = admin.post(f"{WEBHOOKS}{created['id']}/rotate-secret/")

    assert response.status_code == 201
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    expires = WebhookEndpoint.objects.get().previous_secret_expires_at
    assert abs(expires - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)


def test_a_webhook_is_deleted(admin):
    created = subscribe(admin, URL)

    assert admin.delete(f"{WEBHOOKS}{created['id']}/").status_code == 204
    assert admin.get(f"{WEBHOOKS}{created['id']}/").status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_s_actions_are_audited(admin):
    created = subscribe(admin, URL)
    admin.post(f"{WEBHOOKS}{created['id']}/rotate-secret/")
    admin.delete(f"{WEBHOOKS}{created['id']}/")

    actions = list(
        AuditEvent.objects.filter(object_type="webhook")
        .order_by("id")
        .values_list("action", "actor", "object_ids")
    )
    assert actions == [
        ("webhook.create", "user:admin.north", [created["id"]]),
        ("webhook.rotate_secret", "user:admin.north", [created["id"]]),
        ("webhook.delete", "user:admin.north", [created["id"]]),
    ]
