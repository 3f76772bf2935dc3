"""Webhooks in the admin: read only, for the branch's clinic admins, with why one stopped."""

from django.utils import timezone

from clinic import webhooks
from clinic.models import Branch, WebhookEndpoint
from tests.conftest import branch_on, staff_client

CHANGELIST = "/admin/clinic/webhookendpoint/"


def _endpoint(slug: str) -> WebhookEndpoint:
    endpoint, _ = webhooks.webhook_create(
        branch=branch_on(slug), url=f"http://127.0.0.1:9/{slug}", event_types=["intake.created"],
        description="", created_by="test",
    )  # fmt: skip
    return endpoint


def test_a_clinic_admin_sees_the_branch_s_webhooks_and_why_one_was_disabled(db):
    admin = staff_client("admin.north", "north", "clinic_admin")
    ours, theirs = _endpoint("north"), _endpoint("south")
    ours.disabled_at = timezone.now()
    ours.disabled_reason = "Every delivery failed for 5 days (last: timed out)."
    ours.save()

    listed = admin.get(CHANGELIST).content.decode()
    page = admin.get(f"{CHANGELIST}{ours.pk}/change/")

    assert "http://127.0.0.1:9/north" in listed and "http://127.0.0.1:9/south" not in listed
    assert page.status_code == 200
    assert "Every delivery failed for 5 days (last: timed out)." in page.content.decode()
    assert ours.secret_encrypted not in page.content.decode()
    assert admin.get(f"{CHANGELIST}{theirs.pk}/change/").status_code in (302, 403, 404)
    assert admin.post(f"{CHANGELIST}{ours.pk}/delete/").status_code == 403
    assert WebhookEndpoint.objects.count() == 2


def test_a_clinician_does_not_see_webhooks(db):
    clinician = staff_client("dr.north", "north", "clinician")
    _endpoint("north")

    assert clinician.get(CHANGELIST).status_code == 403
    assert Branch.objects.filter(slug="north").exists()
