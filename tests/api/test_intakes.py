"""Storing, reading and filtering intakes through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.helpers import EVALUATE, INTAKES, error_fields, post_json
from tests.conftest import intake_body
from triage.models import Assessment, Intake, Patient


def test_intake_is_stored_with_its_decision(api):
    body = intake_body(external_id="MRN-0042", age=40, saddle_numbness="yes")

    response = post_json(api, INTAKES, body)

    assert response.status_code == 201
    data = response.json()
    assert response["Location"].endswith(f"{INTAKES}{data['id']}/")
    assert data["patient"]["external_id"] == "MRN-0042"
    assert "answers" not in data  # a reception system sees the decision, not the answers
    assessment = data["assessment"]
    assert (assessment["disposition"], assessment["urgency"]) == ("medical_referral", "emergency")
    assert assessment["ruleset_version"] == "2026.1"
    assert assessment["age"] == 40
    assert [flag["code"] for flag in assessment["red_flags"]] == ["saddle_numbness"]
    assert {item["code"] for item in assessment["advice"]} >= {
        "safety_net_emergency",
        "safety_net_review",
    }
    stored = Assessment.objects.get(intake_id=data["id"])
    assert stored.decision == assessment
    assert Intake.objects.get(pk=data["id"]).answers == body["answers"]


def test_evaluation_stores_nothing_and_needs_no_patient_reference(api):
    body = intake_body()
    del body["patient"]["external_id"]

    response = post_json(api, EVALUATE, body)

    assert response.status_code == 200
    assert response.json()["disposition"] == "home_care"
    assert (Patient.objects.count(), Intake.objects.count()) == (0, 0)


def test_a_returning_patient_is_the_same_patient(api):
    first = post_json(api, INTAKES, intake_body(external_id="MRN-7")).json()
    second = post_json(api, INTAKES, intake_body(external_id="MRN-7", pain_score=8)).json()

    assert first["patient"]["id"] == second["patient"]["id"]
    assert Patient.objects.count() == 1
    assert Intake.objects.count() == 2


def test_a_returning_reference_with_another_birth_date_is_a_conflict(api):
    post_json(api, INTAKES, intake_body(external_id="MRN-7", age=40))

    response = post_json(api, INTAKES, intake_body(external_id="MRN-7", age=41))

    assert response.status_code == 409
    assert error_fields(response) == {"patient.date_of_birth"}
    assert Intake.objects.count() == 1


def test_the_same_reference_in_two_branches_is_two_patients(api, other_api):
    post_json(api, INTAKES, intake_body(external_id="MRN-7", age=40))

    response = post_json(other_api, INTAKES, intake_body(external_id="MRN-7", age=60))

    assert response.status_code == 201
    assert Patient.objects.count() == 2


def test_an_assessment_cannot_be_changed_once_stored(api):
    intake_id = post_json(api, INTAKES, intake_body()).json()["id"]
    assessment = Assessment.objects.get(intake_id=intake_id)

    assessment.disposition = "medical_referral"
    with pytest.raises(ValueError, match="immutable"):
        assessment.save()


def test_list_is_newest_first_and_paginated(api):
    ids = [post_json(api, INTAKES, intake_body(external_id=f"P{i}")).json()["id"] for i in range(3)]

    page = api.get(INTAKES, {"page_size": 2}).json()

    assert page["count"] == 3
    assert [item["id"] for item in page["results"]] == ids[::-1][:2]
    assert page["next"] is not None
    assert [item["id"] for item in api.get(page["next"]).json()["results"]] == ids[:1]


@pytest.fixture
def mixed_intakes(api):
    """One home-care, one physiotherapy and one emergency intake, for different patients."""
    made = {
        "home": intake_body(external_id="A1"),
        "physio": intake_body(external_id="A2", pain_duration_days=60),
        "emergency": intake_body(external_id="A3", trauma="major"),
    }
    return {name: post_json(api, INTAKES, body).json() for name, body in made.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"disposition": "home_care"}, {"home"}),
        ({"disposition": ["physiotherapy", "medical_referral"]}, {"physio", "emergency"}),
        ({"urgency": "emergency"}, {"emergency"}),
        ({"urgency": "routine"}, {"home", "physio"}),
        ({"service": "physiotherapy"}, {"physio"}),
        ({"red_flags": "true"}, {"emergency"}),
        ({"red_flags": "false"}, {"home", "physio"}),
    ],
)
def test_list_filters_by_decision(api, other_api, mixed_intakes, query, expected):
    post_json(other_api, INTAKES, intake_body(external_id="A3", trauma="major"))  # not counted
    page = api.get(INTAKES, query).json()
    results = page["results"]

    names = {
        name for name, item in mixed_intakes.items() if item["id"] in {r["id"] for r in results}
    }
    assert names == expected
    assert len(results) == len(expected)
    # `count` is taken from the assessments when the filters allow: it must agree.
    assert page["count"] == len(expected)


def test_list_filters_by_patient_id(api, mixed_intakes):
    patient_id = mixed_intakes["physio"]["patient"]["id"]

    page = api.get(INTAKES, {"patient": patient_id, "disposition": "physiotherapy"}).json()

    assert [item["id"] for item in page["results"]] == [mixed_intakes["physio"]["id"]]
    assert page["count"] == 1


def test_list_filters_by_submission_time(api, mixed_intakes):
    now = timezone.now()
    today = timezone.localdate().isoformat()

    later = api.get(INTAKES, {"submitted_after": (now + timedelta(minutes=1)).isoformat()})
    earlier = api.get(INTAKES, {"submitted_before": (now + timedelta(minutes=1)).isoformat()})
    on_day = api.get(INTAKES, {"submitted_on": today})

    assert later.json()["count"] == 0
    assert earlier.json()["count"] == 3
    assert on_day.json()["count"] == 3


def test_other_branch_never_sees_an_intake(api, other_api):
    intake_id = post_json(api, INTAKES, intake_body()).json()["id"]

    assert other_api.get(f"{INTAKES}{intake_id}/").status_code == 404
    assert other_api.get(INTAKES).json()["count"] == 0
    assert api.get(f"{INTAKES}{intake_id}/").status_code == 200


def test_intakes_cannot_be_changed_or_deleted_through_the_api(api):
    intake_id = post_json(api, INTAKES, intake_body()).json()["id"]

    for method in (api.put, api.patch, api.delete):
        response = method(f"{INTAKES}{intake_id}/", {}, format="json")
        assert response.status_code == 405
        assert error_fields(response) == {"method"}
    assert Intake.objects.filter(pk=intake_id).exists()


@pytest.mark.parametrize("field", ["suspected_triggers", "inflammatory_features"])
@pytest.mark.parametrize("how", ["omitted", "null"])
def test_an_optional_list_may_be_left_out(api, field, how):
    body = intake_body()
    if how == "omitted":
        del body["answers"][field]
    else:
        body["answers"][field] = None

    response = post_json(api, INTAKES, body)

    assert response.status_code == 201, response.json()
    assert response.json()["assessment"]["disposition"] == "home_care"


def test_a_page_past_the_end_is_a_bad_page_parameter(api):
    post_json(api, INTAKES, intake_body())

    response = api.get(INTAKES, {"page": 5})

    assert response.status_code == 400
    assert error_fields(response) == {"page"}


def test_asking_for_anything_but_json_is_406(api):
    response = api.get(INTAKES, HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json()["errors"][0]["field"] == "Accept"


def test_only_clinicians_see_the_full_answers(api, clinician, receptionist):
    body = intake_body(external_id="MIN-1")
    intake_id = post_json(api, INTAKES, body).json()["id"]

    as_clinician = clinician.get(f"{INTAKES}{intake_id}/").json()
    as_receptionist = receptionist.get(f"{INTAKES}{intake_id}/").json()

    assert as_clinician["answers"] == body["answers"]
    assert "answers" not in as_receptionist
    assert set(as_clinician) - set(as_receptionist) == {"answers"}
    assert clinician.get(INTAKES).json()["results"][0]["answers"] == body["answers"]


INTAKE_KEYS_FOR_RECEPTION = {
    "id", "patient", "submitted_at", "questionnaire_version", "assessment", "review", "referral",
    "test",  # sent with a test key (tests/api/test_test_keys.py)
}  # fmt: skip


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("api", INTAKE_KEYS_FOR_RECEPTION),
        ("receptionist", INTAKE_KEYS_FOR_RECEPTION),
        ("clinician", INTAKE_KEYS_FOR_RECEPTION | {"answers"}),
        ("clinic_admin", INTAKE_KEYS_FOR_RECEPTION | {"answers"}),
    ],
)
def test_each_role_gets_exactly_the_intake_fields_it_needs(request, api, who, expected):
    from tests.conftest import staff_client

    if who == "clinic_admin":
        client = staff_client("admin.north", "north", "clinic_admin")
    else:
        client = request.getfixturevalue(who)
    intake_id = post_json(api, INTAKES, intake_body(external_id="KEYS-1")).json()["id"]

    detail = client.get(f"{INTAKES}{intake_id}/").json()
    listed = client.get(INTAKES).json()["results"][0]

    assert set(detail) == set(listed) == expected
