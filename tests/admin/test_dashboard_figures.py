"""The dashboard's figures: the median wait to booking and the share of decisions changed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.admin.helpers import page, signed_in
from tests.referrals.helpers import frozen_now, move, open_referral, walk_to
from triage.models import Intake

DASHBOARD = "/admin/dashboard/"


def booked_after(api, hours: list[float], rebooked_after: float | None = None) -> None:
    """Referrals booked `hours` after their intakes, through the API on a frozen clock. With
    `rebooked_after`, the first is missed and booked again that much later: the wait counts to
    the first booking."""
    start = timezone.now() - timedelta(days=3)
    for n, wait in enumerate(hours):
        with frozen_now(start):
            referral = open_referral(api)["referral"]["id"]
            walk_to(api, referral, "accepted")
        booked = start + timedelta(hours=wait)
        with frozen_now(booked):
            assert move(api, referral, "booked").status_code == 200
        if n == 0 and rebooked_after is not None:
            with frozen_now(booked + timedelta(hours=rebooked_after)):
                assert move(api, referral, "not_attended").status_code == 200
                assert move(api, referral, "booked").status_code == 200


@pytest.mark.parametrize(
    ("hours", "median"),
    [([2, 10, 30], "10.0 h"), ([2, 10, 30, 40], "20.0 h"), ([5], "5.0 h")],
)
def test_the_median_wait_from_intake_to_booked(api, hours, median):
    booked_after(api, hours, rebooked_after=500)

    html = page(signed_in("dr.med", {"north": "clinician"}), DASHBOARD)

    assert median in html


def test_no_bookings_says_so(api):
    open_referral(api)

    assert "none booked" in page(signed_in("dr.none", {"north": "clinician"}), DASHBOARD)


def test_the_share_of_decisions_changed_by_clinicians(api):
    emergency = open_referral(api, trauma="major")
    for _ in range(3):
        open_referral(api)
    dr = signed_in("dr.share", {"north": "clinician"})
    review = f"/admin/triage/intake/{emergency['id']}/review/"
    dr.post(review, {"disposition": "physiotherapy", "urgency": "routine",
                     "service": "physiotherapy", "imaging": "", "reason": "Examined."})  # fmt: skip

    html = page(dr, DASHBOARD)

    assert "25%" in html
    assert "1 of 4 decisions changed by a clinician" in html
    assert "lowered: 1" in html


def test_opening_the_dashboard_is_audited_with_the_worklists_patients(api):
    emergency = open_referral(api, trauma="major")

    page(signed_in("dr.audit", {"north": "clinician"}), DASHBOARD)

    from clinic.models import AuditEvent

    event = AuditEvent.objects.get(action="admin.dashboard.view")
    assert event.actor == "user:dr.audit"
    assert [p.patient_id for p in event.patients.all()] == [
        Intake.objects.get(pk=emergency["id"]).patient_id
    ]
