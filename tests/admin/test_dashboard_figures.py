"""The dashboard's figures: the median wait to booking and the share of decisions changed."""

from datetime import timedelta

import pytest

from referrals.models import Referral, ReferralHistory
from tests.admin.helpers import page, signed_in
from tests.referrals.helpers import open_referral, walk_to
from triage.models import Intake

DASHBOARD = "/admin/dashboard/"


def booked_after(api, hours: list[float], rebooked_after: float | None = None) -> None:
    """Referrals booked `hours` after their intakes (history times set by hand)."""
    for wait in hours:
        intake = open_referral(api)
        walk_to(api, intake["referral"]["id"], "booked")
        submitted = Intake.objects.get(pk=intake["id"]).submitted_at
        ReferralHistory.objects.filter(
            referral_id=intake["referral"]["id"], to_status="booked"
        ).update(at=submitted + timedelta(hours=wait))
    if rebooked_after is not None:
        # A second booking of the same referral (after a missed appointment) does not count:
        # the wait is to the first booking.
        referral = Referral.objects.order_by("created_at").first()
        history = referral.history.get(to_status="booked")
        ReferralHistory.objects.create(
            referral=referral, kind="transition", from_status="not_attended", to_status="booked",
            actor="test", at=history.at + timedelta(hours=rebooked_after),
        )  # fmt: skip


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
