"""A clinician's review of a decision: `POST /api/v1/intakes/{id}/review/`.

The assessment stays as the engine computed it; the review is its own record; the referral
follows the final decision (cancelled, opened or amended); only clinicians of the intake's
branch may review, and a refused or invalid review stores nothing.
"""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.models import Referral
from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import staff_client
from tests.reviews.helpers import (
    EMERGENCY,
    PHYSIOTHERAPY,
    URGENT_GP,
    create_intake,
    get_intake,
    get_referral,
    review,
    review_url,
    stored_state,
    transition,
)
from triage.models import Assessment, Review

REVIEW_FIELDS = {
    "id",
    "disposition",
    "urgency",
    "service",
    "imaging",
    "reason",
    "overridden",
    "reviewer",
    "created_at",
}


def outcome(data: dict) -> tuple:
    return data["disposition"], data["urgency"], data["service"], data["imaging"]


def history_step(entry: dict) -> tuple:
    """What a referral history entry did: its kind and the status it moved from and to."""
    return entry["kind"], entry["from_status"], entry["to_status"]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


# The decisions the tests start from ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, ("home_care", "routine", "self_care", "none")),
        (PHYSIOTHERAPY, ("physiotherapy", "routine", "physiotherapy", "none")),
        (URGENT_GP, ("medical_referral", "urgent", "gp", "none")),
        (EMERGENCY, ("medical_referral", "emergency", "emergency_department", "mri_lumbar")),
    ],
)
def test_the_starting_decisions_are_as_these_tests_assume(api, answers, expected):
    intake = create_intake(api, **answers)

    assert outcome(intake["assessment"]) == expected
    assert intake["review"] is None
    assert (intake["referral"] is None) == (expected[0] == "home_care")


# Overriding and the assessment -------------------------------------------------------------


def test_an_override_is_its_own_record_and_shows_on_the_intake(api, clinician):
    intake = create_intake(api, **URGENT_GP)

    response = review(
        clinician, intake["id"], "physiotherapy", "routine", "physiotherapy", reason="No fever now"
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == REVIEW_FIELDS
    assert outcome(created) == ("physiotherapy", "routine", "physiotherapy", "none")
    assert created["reason"] == "No fever now"
    assert created["overridden"] is True
    assert created["reviewer"] == "dr.north"
    assert created["created_at"]
    stored = Review.objects.get()
    assert str(stored.id) == created["id"]
    assert str(stored.intake_id) == intake["id"]
    assert get_intake(api, intake["id"])["review"] == created


def test_the_assessment_is_unchanged_by_an_override(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    stored_before = Assessment.objects.get(intake_id=intake["id"])

    response = review(clinician, intake["id"], "home_care", "routine", "self_care")

    assert response.status_code == 201, response.content
    after = get_intake(api, intake["id"])
    assert after["assessment"] == intake["assessment"]
    stored = Assessment.objects.get(intake_id=intake["id"])
    assert stored.decision == intake["assessment"]
    assert outcome(stored.__dict__) == ("medical_referral", "urgent", "gp", "none")
    assert stored.created_at == stored_before.created_at


def test_the_intake_shows_the_latest_of_several_reviews(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    review(clinician, intake["id"], "home_care", "routine", "self_care", reason="first")

    second = review(
        clinician, intake["id"], "medical_referral", "routine", "gp", reason="second"
    ).json()

    assert Review.objects.filter(intake_id=intake["id"]).count() == 2
    assert get_intake(api, intake["id"])["review"] == second
    listed = api.get(INTAKES).json()["results"]
    assert [item["review"] for item in listed if item["id"] == intake["id"]] == [second]


def test_omitted_imaging_keeps_the_assessments_imaging_for_a_medical_referral(api, clinician):
    intake = create_intake(api, **EMERGENCY)

    response = review(
        clinician, intake["id"], "medical_referral", "emergency", "emergency_department"
    )

    assert response.status_code == 201, response.content
    assert response.json()["imaging"] == "mri_lumbar"
    assert response.json()["overridden"] is False


def test_omitted_imaging_is_none_when_a_review_makes_a_medical_referral(api, clinician):
    intake = create_intake(api)

    response = review(clinician, intake["id"], "medical_referral", "urgent", "gp")

    assert response.status_code == 201, response.content
    assert response.json()["imaging"] == "none"
    assert Referral.objects.get(intake_id=intake["id"]).imaging == "none"


# The referral follows the final decision ----------------------------------------------------


def test_a_review_to_home_care_cancels_the_open_referral_with_the_reason(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    referral_id = intake["referral"]["id"]

    response = review(
        clinician, intake["id"], "home_care", "routine", "self_care", reason="Fever was a cold"
    )

    assert response.status_code == 201, response.content
    referral = get_referral(api, referral_id)
    assert referral["status"] == "cancelled"
    last = referral["history"][-1]
    assert history_step(last) == ("transition", "open", "cancelled")
    assert "Fever was a cold" in last["note"]
    assert last["actor"] == "user:dr.north"
    assert Referral.objects.count() == 1


def test_a_review_to_home_care_cancels_a_referral_that_was_already_sent(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    referral_id = intake["referral"]["id"]
    transition(api, referral_id, "sent")

    review(clinician, intake["id"], "home_care", "routine", "self_care", reason="Settled")

    referral = get_referral(api, referral_id)
    assert referral["status"] == "cancelled"
    assert referral["history"][-1]["from_status"] == "sent"
    assert "Settled" in referral["history"][-1]["note"]


@pytest.mark.parametrize(
    ("disposition", "urgency", "service", "extra", "imaging"),
    [
        ("physiotherapy", "routine", "physiotherapy", {}, "none"),
        ("physiotherapy", "routine", "physiotherapy_psychologically_informed", {}, "none"),
        ("medical_referral", "urgent", "spinal_specialist", {"imaging": "xray"}, "xray"),
    ],
)
def test_a_review_from_home_care_opens_a_referral(
    api, clinician, disposition, urgency, service, extra, imaging
):
    intake = create_intake(api)
    assert Referral.objects.count() == 0

    response = review(clinician, intake["id"], disposition, urgency, service, **extra)

    assert response.status_code == 201, response.content
    referral = Referral.objects.get(intake_id=intake["id"])
    assert (referral.status, referral.service, referral.urgency, referral.imaging) == (
        "open",
        service,
        urgency,
        imaging,
    )
    shown = get_intake(api, intake["id"])["referral"]
    assert shown["id"] == str(referral.id)
    assert (shown["status"], shown["service"], shown["urgency"]) == ("open", service, urgency)


def test_a_review_changing_the_service_amends_the_same_referral(api, clinician):
    intake = create_intake(api, **PHYSIOTHERAPY)
    before = get_referral(api, intake["referral"]["id"])

    response = review(
        clinician,
        intake["id"],
        "physiotherapy",
        "routine",
        "physiotherapy_psychologically_informed",
        reason="Worried about work",
    )

    assert response.status_code == 201, response.content
    after = get_referral(api, before["id"])
    assert Referral.objects.count() == 1
    assert after["status"] == "open"
    assert (after["service"], after["urgency"]) == (
        "physiotherapy_psychologically_informed",
        "routine",
    )
    assert after["due_by"] == before["due_by"]  # the urgency did not change
    assert after["version"] == before["version"] + 1
    amendment = after["history"][-1]
    assert history_step(amendment) == ("amendment", "open", "open")
    assert "Worried about work" in amendment["note"]
    assert amendment["actor"] == "user:dr.north"
    assert get_intake(api, intake["id"])["referral"]["id"] == before["id"]


def test_a_review_changing_the_urgency_amends_and_recomputes_due_by(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    before = get_referral(api, intake["referral"]["id"])
    started = timezone.now()

    response = review(
        clinician, intake["id"], "medical_referral", "emergency", "emergency_department"
    )

    finished = timezone.now()
    assert response.status_code == 201, response.content
    after = get_referral(api, before["id"])
    assert after["id"] == before["id"]
    assert (after["service"], after["urgency"]) == ("emergency_department", "emergency")
    # An emergency is due within four hours of the review, not two working days of the intake.
    assert started + timedelta(hours=4) <= when(after["due_by"]) <= finished + timedelta(hours=4)
    assert when(after["due_by"]) < when(before["due_by"])
    assert [entry["kind"] for entry in after["history"]] == ["transition", "amendment"]
    assert Referral.objects.count() == 1


def test_a_review_amends_a_referral_that_is_further_along_without_moving_it(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    referral_id = intake["referral"]["id"]
    transition(api, referral_id, "sent")
    transition(api, referral_id, "accepted")

    review(clinician, intake["id"], "medical_referral", "urgent", "rheumatology")

    after = get_referral(api, referral_id)
    assert (after["status"], after["service"]) == ("accepted", "rheumatology")
    amendment = after["history"][-1]
    assert history_step(amendment) == ("amendment", "accepted", "accepted")


def test_a_confirming_review_changes_no_referral_and_is_not_an_override(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    before = get_referral(api, intake["referral"]["id"])

    response = review(clinician, intake["id"], "medical_referral", "urgent", "gp", reason="Agree")

    assert response.status_code == 201, response.content
    assert response.json()["overridden"] is False
    assert get_referral(api, before["id"]) == before
    assert Referral.objects.count() == 1


def test_a_confirming_review_of_home_care_opens_no_referral(api, clinician):
    intake = create_intake(api)

    response = review(clinician, intake["id"], "home_care", "routine", "self_care")

    assert response.status_code == 201, response.content
    assert response.json()["overridden"] is False
    assert Referral.objects.count() == 0
    assert get_intake(api, intake["id"])["referral"] is None


def test_overridden_compares_with_the_assessment_not_the_previous_review(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    first_referral = intake["referral"]["id"]
    review(clinician, intake["id"], "home_care", "routine", "self_care")

    response = review(clinician, intake["id"], "medical_referral", "urgent", "gp")

    assert response.json()["overridden"] is False
    # Back to a referral: the cancelled one stays cancelled and a new one is opened.
    assert get_referral(api, first_referral)["status"] == "cancelled"
    shown = get_intake(api, intake["id"])["referral"]
    assert shown["id"] != first_referral
    assert (shown["status"], shown["service"], shown["urgency"]) == ("open", "gp", "urgent")


def test_a_confirming_review_after_the_referral_completed_opens_no_new_referral(api, clinician):
    """The patient has been seen and the referral is completed; a clinician then confirms
    the decision. Confirming changes nothing, so no second referral should appear."""
    intake = create_intake(api, **URGENT_GP)
    referral_id = intake["referral"]["id"]
    for status in ("sent", "accepted", "booked", "attended", "completed"):
        transition(api, referral_id, status)

    response = review(clinician, intake["id"], "medical_referral", "urgent", "gp", reason="Agree")

    assert response.status_code == 201, response.content
    assert response.json()["overridden"] is False
    assert list(Referral.objects.values_list("status", flat=True)) == ["completed"]
    assert get_intake(api, intake["id"])["referral"]["id"] == referral_id


# Who may review ----------------------------------------------------------------------------


@pytest.fixture
def south_clinician(db) -> APIClient:
    """A clinician of another branch, `south`, signed in."""
    return staff_client("dr.south", "south", "clinician")


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        pytest.param("api", 403, id="reception-api-key-may-not-review"),
        pytest.param("receptionist", 403, id="signed-in-receptionist-may-not-review"),
        pytest.param("other_api", 404, id="reception-key-of-another-branch-cannot-see-it"),
        pytest.param("south_clinician", 404, id="clinician-of-another-branch-cannot-see-it"),
        pytest.param("anonymous", 401, id="anonymous"),
    ],
)
def test_a_caller_who_may_not_review_is_refused_and_nothing_is_stored(api, request, caller, status):
    intake = create_intake(api, **URGENT_GP)
    client = request.getfixturevalue(caller)
    before = stored_state()

    response = review(client, intake["id"], "home_care", "routine", "self_care")

    assert response.status_code == status, response.content
    assert response.json()["status"] == status
    assert stored_state() == before


@pytest.mark.parametrize("intake_id", ["3f0c9d8e-1b2a-4c5d-8e9f-0a1b2c3d4e5f", "not-a-uuid"])
def test_reviewing_an_unknown_intake_is_404(clinician, intake_id):
    before = stored_state()

    response = review(clinician, intake_id, "home_care", "routine", "self_care")

    assert response.status_code == 404, response.content
    assert stored_state() == before


# Validation --------------------------------------------------------------------------------

VALID = {
    "disposition": "medical_referral",
    "urgency": "routine",
    "service": "gp",
    "reason": "Seen in clinic.",
}


def body_with(**changes: Any) -> dict:
    body = {**VALID, **changes}
    return {key: value for key, value in body.items() if value is not None}


# VALID made a home-care or a physiotherapy review, for the cases that break one of its rules.
AS_HOME = {"disposition": "home_care", "urgency": "routine", "service": "self_care"}
AS_PHYSIO = {"disposition": "physiotherapy", "urgency": "routine", "service": "physiotherapy"}

# (the changes to VALID, where None leaves a field out; the fields the 400 names)
INVALID_CHANGES = [
    pytest.param({"reason": None}, {"reason"}, id="reason-missing"),
    pytest.param({"reason": ""}, {"reason"}, id="reason-empty"),
    pytest.param({"reason": "   \n\t"}, {"reason"}, id="reason-blank"),
    pytest.param({"reason": "x" * 2001}, {"reason"}, id="reason-too-long"),
    pytest.param({**AS_HOME, "service": "gp"}, {"service"}, id="home-care-with-gp"),
    pytest.param({**AS_PHYSIO, "service": "self_care"}, {"service"}, id="physio-with-self-care"),
    pytest.param({"service": "physiotherapy"}, {"service"}, id="medical-with-physiotherapy"),
    pytest.param({**AS_HOME, "urgency": "urgent"}, {"urgency"}, id="urgent-home-care"),
    pytest.param({**AS_PHYSIO, "urgency": "emergency"}, {"urgency"}, id="emergency-physiotherapy"),
    pytest.param({**AS_PHYSIO, "imaging": "xray"}, {"imaging"}, id="imaging-with-physiotherapy"),
    pytest.param({**AS_HOME, "imaging": "mri_lumbar"}, {"imaging"}, id="imaging-with-home-care"),
    pytest.param(
        {**AS_HOME, "urgency": "emergency", "service": "gp", "imaging": "ct"},
        {"service", "urgency", "imaging"},
        id="every-rule-broken",
    ),
    pytest.param({"note": "extra"}, {"note"}, id="unknown-field"),
    pytest.param({"overridden": False}, {"overridden"}, id="read-only-field-sent"),
    pytest.param({"disposition": "hospital"}, {"disposition"}, id="unknown-disposition"),
    pytest.param({"urgency": "soon"}, {"urgency"}, id="unknown-urgency"),
    pytest.param({"service": "surgery"}, {"service"}, id="unknown-service"),
    pytest.param({"imaging": "pet"}, {"imaging"}, id="unknown-imaging"),
    pytest.param({"disposition": None}, {"disposition"}, id="disposition-missing"),
]


@pytest.mark.parametrize(("changes", "fields"), INVALID_CHANGES)
def test_an_invalid_review_is_400_naming_the_field_and_stores_nothing(
    api, clinician, changes, fields
):
    intake = create_intake(api, **URGENT_GP)
    before = stored_state()

    response = post_json(clinician, review_url(intake["id"]), body_with(**changes))

    assert response.status_code == 400, response.content
    assert error_fields(response) == fields
    assert stored_state() == before


def test_a_review_body_that_is_not_an_object_is_400(api, clinician):
    intake = create_intake(api, **URGENT_GP)
    before = stored_state()

    response = post_json(clinician, review_url(intake["id"]), [VALID])

    assert response.status_code == 400, response.content
    assert stored_state() == before


def test_the_valid_body_used_by_the_validation_cases_is_accepted(api, clinician):
    intake = create_intake(api, **URGENT_GP)

    response = post_json(clinician, review_url(intake["id"]), VALID)

    assert response.status_code == 201, response.content
    assert response.json()["overridden"] is True
