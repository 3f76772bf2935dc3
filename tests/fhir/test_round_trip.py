"""A FHIR client's whole round trip, for the clinical vignettes: read the Questionnaire, answer
it, post the response, then read the RiskAssessment, the ServiceRequest (by id and by
searching the patient's) and the CarePlan, and find the REST API's decision in each."""

import pytest

from tests.clinical_contract import vignettes
from tests.fhir.helpers import (
    fhir_get,
    fhir_post,
    predictions,
    questionnaire_response,
    read_questionnaire,
    resource_of,
)

VIGNETTES = vignettes("2026.1")
PRIORITY = {"routine": "routine", "urgent": "urgent", "emergency": "stat"}


def _rule_ids(risk_assessment: dict) -> list[str]:
    return predictions(risk_assessment, "rule")


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_a_fhir_client_gets_the_decision_the_rest_api_gives(api, vignette):
    questionnaire = read_questionnaire(api)
    response = questionnaire_response(
        questionnaire, vignette["answers"], external_id=f"VIG-{vignette['id']}",
        age=vignette["age"], sex=vignette["sex"],
    )  # fmt: skip

    posted = fhir_post(api, "QuestionnaireResponse", response)

    assert posted.status_code == 201, posted.content
    stored = resource_of(posted, "QuestionnaireResponse")
    intake_id = stored["id"]
    assert posted["Location"] == f"http://testserver/fhir/R4/QuestionnaireResponse/{intake_id}"
    rest = api.get(f"/api/v1/intakes/{intake_id}/").json()
    decision = rest["assessment"]
    expected = vignette["expected"]
    assert (decision["disposition"], decision["urgency"]) == (
        expected["disposition"], expected["urgency"],
    )  # fmt: skip

    risk = resource_of(fhir_get(api, f"RiskAssessment/{intake_id}"), "RiskAssessment")
    assert predictions(risk, "disposition") == [decision["disposition"]]
    assert predictions(risk, "urgency") == [decision["urgency"]]
    assert predictions(risk, "service") == [decision["service"]]
    assert _rule_ids(risk) == [reason["rule_id"] for reason in decision["reasons"]]
    assert _rule_ids(risk) == expected["rules"]
    assert risk["method"]["coding"][0]["code"] == decision["ruleset_version"]
    assert risk["subject"]["reference"] == f"Patient/{rest['patient']['id']}"

    plan = resource_of(fhir_get(api, f"CarePlan/{intake_id}"), "CarePlan")
    rest_plan = api.get(f"/api/v1/intakes/{intake_id}/care-plan/").json()
    advice = [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"] if "detail" in a]
    assert advice == [item["code"] for item in rest_plan["advice"]]
    assert any(code.startswith("safety_net") for code in advice)
    assert plan["category"][0]["coding"][0]["code"] == rest_plan["disposition"]

    search = fhir_get(api, f"ServiceRequest?subject=Patient/{rest['patient']['id']}")
    bundle = resource_of(search, "Bundle")
    if rest["referral"] is None:
        assert decision["disposition"] == "home_care"
        assert bundle["total"] == 0
        assert not any("reference" in activity for activity in plan["activity"])
        return
    referral = rest["referral"]
    request = resource_of(fhir_get(api, f"ServiceRequest/{referral['id']}"), "ServiceRequest")
    assert request["priority"] == PRIORITY[referral["urgency"]]
    assert request["code"]["coding"][0]["code"] == referral["service"] == decision["service"]
    assert request["status"] == "active"
    assert request["reasonReference"] == [{"reference": f"RiskAssessment/{intake_id}"}]
    assert [entry["resource"] for entry in bundle["entry"]] == [request]
    assert {"reference": f"ServiceRequest/{referral['id']}"} in [
        activity.get("reference") for activity in plan["activity"]
    ]


def test_the_questionnaire_has_every_item_of_the_rest_questionnaire(api):
    questionnaire = read_questionnaire(api)
    rest = api.get("/api/v1/questionnaire/").json()

    items = {item["linkId"]: item for item in questionnaire["item"]}
    assert list(items) == [question["field"] for question in rest["answers"]]
    for question in rest["answers"]:
        item = items[question["field"]]
        assert item["text"] == question["text"]
        assert item["required"] == question["required"]
        if question["type"] == "group":
            assert [child["linkId"] for child in item["item"]] == [
                f"{question['field']}.{child['field']}" for child in question["items"]
            ]
        if question["type"] in ("choice", "multi_choice"):
            assert item["type"] == "choice"
            assert item.get("repeats", False) == (question["type"] == "multi_choice")
            codes = [option["valueCoding"]["code"] for option in item["answerOption"]]
            assert codes == [choice["value"] for choice in question["choices"]]
        elif question["type"] != "group":
            assert item["type"] == question["type"]


def test_the_startback_items_sit_in_their_group(api):
    questionnaire = read_questionnaire(api)
    (group,) = [item for item in questionnaire["item"] if item["linkId"] == "startback"]

    assert group["type"] == "group"
    assert "startback.leg_pain" in [item["linkId"] for item in group["item"]]
    assert {item["type"] for item in group["item"]} == {"boolean", "choice"}


def test_a_clinician_reads_back_the_answers_as_posted(api, clinician):
    questionnaire = read_questionnaire(api)
    vignette = VIGNETTES[0]
    response = questionnaire_response(questionnaire, vignette["answers"])
    posted = resource_of(fhir_post(api, "QuestionnaireResponse", response))

    read = resource_of(fhir_get(clinician, f"QuestionnaireResponse/{posted['id']}"))

    def answers(items):
        return {
            item["linkId"]: answers(item["item"]) if "item" in item else item["answer"]
            for item in items
        }

    assert answers(read["item"]) == answers(response["item"])
    assert read["status"] == "completed"
    assert read["questionnaire"] == response["questionnaire"]


def test_a_review_moves_the_care_plan_and_the_service_request(api, clinician):
    questionnaire = read_questionnaire(api)
    answers = VIGNETTES[0]["answers"]
    posted = resource_of(
        fhir_post(api, "QuestionnaireResponse", questionnaire_response(questionnaire, answers))
    )
    rest = api.get(f"/api/v1/intakes/{posted['id']}/").json()
    referral_id = rest["referral"]["id"] if rest["referral"] else None
    review = {"disposition": "medical_referral", "urgency": "emergency",
              "service": "emergency_department", "reason": "Seen at the desk."}  # fmt: skip
    assert (
        clinician.post(f"/api/v1/intakes/{posted['id']}/review/", review, format="json").status_code
        == 201
    )

    plan = resource_of(fhir_get(api, f"CarePlan/{posted['id']}"))
    assert plan["category"][0]["coding"][0]["code"] == "medical_referral"
    assert "clinician's review" in plan["description"]
    referral = api.get(f"/api/v1/intakes/{posted['id']}/").json()["referral"]
    request = resource_of(fhir_get(api, f"ServiceRequest/{referral['id']}"))
    assert request["priority"] == "stat"
    if referral_id is not None and referral_id != referral["id"]:
        old = resource_of(fhir_get(api, f"ServiceRequest/{referral_id}"))
        assert old["status"] == "revoked"
    # The RiskAssessment is the engine's decision as made, whatever the review said.
    risk = resource_of(fhir_get(api, f"RiskAssessment/{posted['id']}"))
    assert predictions(risk, "disposition") == [rest["assessment"]["disposition"]]


@pytest.mark.parametrize(
    ("status", "request_status"),
    [("sent", "active"), ("booked", "active"), ("completed", "completed"),
     ("declined", "revoked"), ("cancelled", "revoked")],
)  # fmt: skip
def test_a_referrals_status_maps_to_the_request_status(api, status, request_status):
    from referrals.models import Referral

    questionnaire = read_questionnaire(api)
    answers = next(v["answers"] for v in VIGNETTES if v["expected"]["disposition"] != "home_care")
    posted = resource_of(
        fhir_post(api, "QuestionnaireResponse", questionnaire_response(questionnaire, answers))
    )
    referral = Referral.objects.get(intake_id=posted["id"])
    Referral.objects.filter(pk=referral.pk).update(status=status)

    request = resource_of(fhir_get(api, f"ServiceRequest/{referral.pk}"))

    assert request["status"] == request_status
    assert request["extension"][0]["valueCoding"]["code"] == status
