"""The FHIR interface keeps the REST API's rules: the same credentials, branch scoping, minimum
necessary, Idempotency-Key and audit trail."""

import pytest

from clinic.models import AuditEvent
from tests.conftest import intake_body, staff_client
from tests.engine.builders import baseline_answers
from tests.fhir.helpers import (
    fhir_get,
    fhir_post,
    issues,
    questionnaire_response,
    read_questionnaire,
    resource_of,
)
from triage.models import Intake

OPENS_A_REFERRAL = {"trauma": "major"}


@pytest.fixture
def stored(api):
    """An intake of `north` that opened a referral, stored through the REST API."""
    response = api.post("/api/v1/intakes/", intake_body(**OPENS_A_REFERRAL), format="json")
    return response.json()


def _reads(intake: dict) -> list[str]:
    return [
        f"QuestionnaireResponse/{intake['id']}",
        f"RiskAssessment/{intake['id']}",
        f"CarePlan/{intake['id']}",
        f"ServiceRequest/{intake['referral']['id']}",
        f"Patient/{intake['patient']['id']}",
    ]


@pytest.mark.parametrize("which", range(5))
def test_another_branchs_resource_is_not_found(stored, other_api, which):
    answer = fhir_get(other_api, _reads(stored)[which])

    assert answer.status_code == 404
    assert issues(answer) == [("not-found", None)]


@pytest.mark.parametrize("which", range(5))
def test_the_own_branchs_resource_is_read(stored, api, which):
    assert fhir_get(api, _reads(stored)[which]).status_code == 200


def test_a_search_finds_nothing_of_another_branch(stored, other_api):
    answer = fhir_get(other_api, f"ServiceRequest?subject=Patient/{stored['patient']['id']}")

    bundle = resource_of(answer, "Bundle")
    assert bundle["total"] == 0
    assert "entry" not in bundle


@pytest.mark.parametrize("which", range(5))
def test_staff_of_the_branch_read_with_their_session(stored, clinician, which):
    assert fhir_get(clinician, _reads(stored)[which]).status_code == 200


def test_staff_of_another_branch_do_not(stored, db):
    outsider = staff_client("dr.south", "south", "clinician")

    assert fhir_get(outsider, _reads(stored)[0]).status_code == 404


def test_a_staff_token_works_too(stored, clinician, db):
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    _, token = AuthToken.objects.create(get_user_model().objects.get(username="dr.north"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert fhir_get(client, _reads(stored)[0]).status_code == 200


def test_reception_does_not_see_the_answers(stored, api, receptionist):
    for reader in (api, receptionist):
        response = resource_of(fhir_get(reader, f"QuestionnaireResponse/{stored['id']}"))
        assert "item" not in response
        assert response["meta"]["security"][0]["code"] == "REDACTED"


def test_clinicians_do(stored, clinician):
    response = resource_of(fhir_get(clinician, f"QuestionnaireResponse/{stored['id']}"))

    assert "meta" not in response
    assert {item["linkId"] for item in response["item"]} >= {"pain_score", "startback"}


def test_a_reception_key_posting_gets_its_response_without_the_answers(api):
    body = questionnaire_response(read_questionnaire(api), baseline_answers())

    created = resource_of(fhir_post(api, "QuestionnaireResponse", body))

    assert "item" not in created
    assert created["meta"]["security"][0]["code"] == "REDACTED"


# The same write as POST /api/v1/intakes/ -----------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_answer(api):
    body = questionnaire_response(read_questionnaire(api), baseline_answers())

    first = fhir_post(api, "QuestionnaireResponse", body, HTTP_IDEMPOTENCY_KEY="intake-1")
    again = fhir_post(api, "QuestionnaireResponse", body, HTTP_IDEMPOTENCY_KEY="intake-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert Intake.objects.count() == 1


def test_a_replay_to_a_caller_who_lost_the_answers_leaves_them_out(db):
    from clinic.models import StaffRole

    clinician = staff_client("dr.north", "north", "clinician")
    body = questionnaire_response(read_questionnaire(clinician), baseline_answers())
    first = fhir_post(clinician, "QuestionnaireResponse", body, HTTP_IDEMPOTENCY_KEY="k")
    assert "item" in first.json()
    StaffRole.objects.filter(user__username="dr.north").update(role="reception")

    again = fhir_post(clinician, "QuestionnaireResponse", body, HTTP_IDEMPOTENCY_KEY="k")

    assert again.status_code == 201
    assert "item" not in resource_of(again)
    assert Intake.objects.count() == 1


def _audit(action: str) -> list[tuple]:
    return [
        (e.action, e.object_type, e.object_ids, e.outcome, e.status_code, e.actor,
         sorted(str(p.patient_id) for p in e.patients.all()))
        for e in AuditEvent.objects.filter(action=action).order_by("id")
    ]  # fmt: skip


def test_a_post_is_audited_exactly_as_the_rest_apis(api):
    body = questionnaire_response(read_questionnaire(api), baseline_answers(), external_id="A-1")
    fhir = resource_of(fhir_post(api, "QuestionnaireResponse", body))
    rest = api.post("/api/v1/intakes/", intake_body(external_id="A-2"), format="json").json()

    (by_fhir, by_rest) = _audit("intake.create")
    patient = fhir["subject"]["reference"].removeprefix("Patient/")
    assert by_fhir == ("intake.create", "intake", [fhir["id"]], "allowed", 201, by_rest[5],
                       [patient])  # fmt: skip
    assert by_rest == ("intake.create", "intake", [rest["id"]], "allowed", 201, by_rest[5],
                       [rest["patient"]["id"]])  # fmt: skip


def test_a_refused_post_is_audited_too(api):
    fhir_post(api, "QuestionnaireResponse", {"resourceType": "QuestionnaireResponse"})

    assert [(action, status) for action, *_, status, _, _ in _audit("intake.create")] == [
        ("intake.create", 400)
    ]


@pytest.mark.parametrize(
    ("which", "action", "object_type"),
    [
        (0, "fhir.questionnaire_response.read", "intake"),
        (1, "fhir.risk_assessment.read", "intake"),
        (2, "fhir.care_plan.read", "intake"),
        (3, "fhir.service_request.read", "referral"),
        (4, "fhir.patient.read", "patient"),
    ],
)
def test_each_read_names_its_object_and_patient(stored, api, other_api, which, action, object_type):
    path = _reads(stored)[which]
    fhir_get(api, path)
    fhir_get(other_api, path)

    read, refused = _audit(action)
    object_id = path.rpartition("/")[2]
    assert read[:5] == (action, object_type, [object_id], "allowed", 200)
    assert read[6] == [stored["patient"]["id"]]
    assert refused[:5] == (action, object_type, [object_id], "denied", 404)
    assert refused[6] == []


def test_a_search_names_every_referral_and_patient_found(stored, api):
    fhir_get(api, f"ServiceRequest?subject=Patient/{stored['patient']['id']}")

    ((action, object_type, ids, outcome, _, _, patients),) = _audit("fhir.service_request.search")
    assert (action, object_type, outcome) == ("fhir.service_request.search", "referral", "allowed")
    assert ids == [stored["referral"]["id"]]
    assert patients == [stored["patient"]["id"]]


def test_the_questionnaire_and_code_systems_are_not_patient_data(api):
    fhir_get(api, "Questionnaire/back-pain-intake")
    fhir_get(api, "CodeSystem/disposition")

    assert not AuditEvent.objects.exists()


def test_every_fhir_response_is_no_store(stored, api, anonymous):
    for client, path in ((api, _reads(stored)[0]), (anonymous, "metadata"), (api, "Nope")):
        assert fhir_get(client, path)["Cache-Control"] == "no-store"


def test_a_caller_of_several_branches_cannot_post_and_stores_nothing(api, other_api):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    root = APIClient()
    root.force_login(get_user_model().objects.create_superuser("root", password=None))
    body = questionnaire_response(read_questionnaire(api), baseline_answers())

    answer = fhir_post(root, "QuestionnaireResponse", body)

    assert answer.status_code == 400  # as POST /api/v1/intakes/: which branch is it for?
    assert issues(answer) == [("business-rule", None)]
    assert not Intake.objects.exists()
