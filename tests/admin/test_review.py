"""The review page in the admin: a required reason, the API's rules, the referral follows."""

import pytest

from clinic.models import AuditEvent
from referrals.models import Referral
from tests.admin.helpers import INTAKE_ADMIN, page, signed_in
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from triage.models import Intake, Review

OVERRIDE = {"disposition": "physiotherapy", "urgency": "routine", "service": "physiotherapy",
            "imaging": "", "reason": "Examined: no injury to the spine."}  # fmt: skip


@pytest.fixture
def emergency(api) -> Intake:
    post_json(api, INTAKES, intake_body(external_id="EM-1", trauma="major"))
    return Intake.objects.get()


@pytest.fixture
def dr(db):
    return signed_in("dr.review", {"north": "clinician"})


def review_url(intake: Intake) -> str:
    return f"{INTAKE_ADMIN}{intake.pk}/review/"


def test_the_intake_page_shows_the_decision_readably(emergency, dr):
    html = page(dr, f"{INTAKE_ADMIN}{emergency.pk}/change/")

    assert 'id="decision"' in html
    for reason in emergency.assessment.decision["reasons"]:
        assert reason["text"] in html
    assert 'class="red-flag"' in html
    assert "STarT Back" in html
    assert "Review this decision" in html
    assert 'id="referral"' in html


def test_the_form_starts_from_the_current_decision(emergency, dr):
    html = page(dr, review_url(emergency))

    assert '<option value="medical_referral" selected>' in html
    assert '<option value="emergency" selected>' in html


def test_a_review_without_a_reason_is_refused_and_nothing_is_stored(emergency, dr):
    response = dr.post(review_url(emergency), {**OVERRIDE, "reason": "  "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Review.objects.count() == 0
    assert Referral.objects.get().history.count() == 1  # opened, nothing more


def test_the_apis_rules_apply_in_the_admin_too(emergency, dr):
    response = dr.post(
        review_url(emergency), {**OVERRIDE, "disposition": "home_care", "urgency": "urgent"}
    )

    html = response.content.decode()
    assert "Only a medical referral can be urgent or an emergency." in html
    assert "For home_care, must be one of: self_care." in html
    assert Review.objects.count() == 0


def test_an_override_is_saved_and_the_referral_follows(emergency, dr):
    response = dr.post(review_url(emergency), OVERRIDE, follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{INTAKE_ADMIN}{emergency.pk}/change/"
    assert "Review saved." in html
    review = Review.objects.get()
    assert (review.disposition, review.overridden, review.reason) == (
        "physiotherapy", True, OVERRIDE["reason"],
    )  # fmt: skip
    referral = Referral.objects.get(status="open")
    assert (referral.service, referral.urgency) == ("physiotherapy", "routine")
    assert "a clinician&#x27;s review" in html or "a clinician's review" in html
    assert AuditEvent.objects.filter(action="admin.intake.review", outcome="allowed").exists()


def test_a_confirmation_keeps_the_decision(emergency, dr):
    dr.post(review_url(emergency), {"disposition": "medical_referral", "urgency": "emergency",
                                    "service": "emergency_department", "imaging": "",
                                    "reason": "Agree."})  # fmt: skip

    review = Review.objects.get()
    assert review.overridden is False
    assert review.imaging == emergency.assessment.imaging
    assert Referral.objects.get().urgency == "emergency"


def test_a_clinician_of_another_branch_cannot_review(emergency):
    other = signed_in("dr.south", {"south": "clinician"})

    response = other.post(review_url(emergency), OVERRIDE)

    assert response.status_code == 302
    assert Review.objects.count() == 0
