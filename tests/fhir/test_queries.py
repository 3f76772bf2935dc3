"""SQL statements per FHIR request stay fixed (tests/query_counts.json; `make query-counts`).

A read: the key lookup, the resource (one query, its intake's assessment joined), and the audit
event with the patient it names: 4. A care plan reads the intake's reviews and referrals too
(6). A search: the key lookup, the referrals, and the audit: 4. A POST costs what
POST /api/v1/intakes/ costs (see tests/api/test_queries.py). On Redis a key already used is
not read again (clinic/access_epoch.py): one statement fewer."""

import pytest

from tests.conftest import intake_body
from tests.engine.builders import baseline_answers
from tests.fhir.helpers import fhir_get, fhir_post, questionnaire_response, read_questionnaire
from tests.query_counts import counted_queries, expected_queries


def _count(name: str, call) -> int:
    with counted_queries(name) as captured:
        response = call()
    assert response.status_code < 300, response.content
    return len(captured)


@pytest.fixture
def stored(api):
    return api.post("/api/v1/intakes/", intake_body(trauma="major"), format="json").json()


READS = {
    "fhir.questionnaire_response.read": lambda s: f"QuestionnaireResponse/{s['id']}",
    "fhir.risk_assessment.read": lambda s: f"RiskAssessment/{s['id']}",
    "fhir.care_plan.read": lambda s: f"CarePlan/{s['id']}",
    "fhir.service_request.read": lambda s: f"ServiceRequest/{s['referral']['id']}",
    "fhir.service_request.search": lambda s: f"ServiceRequest?subject=Patient/{s['patient']['id']}",
    "fhir.patient.read": lambda s: f"Patient/{s['patient']['id']}",
}


@pytest.mark.parametrize("name", list(READS))
def test_a_read_uses_a_fixed_number_of_queries(api, stored, name):
    path = READS[name](stored)
    assert _count(name, lambda: fhir_get(api, path)) == expected_queries(name)


def test_a_post_costs_what_the_rest_post_costs(api):
    questionnaire = read_questionnaire(api)
    body = questionnaire_response(questionnaire, baseline_answers(), external_id="Q1")
    first = _count("fhir.questionnaire_response.create.new_patient",
                   lambda: fhir_post(api, "QuestionnaireResponse", body))  # fmt: skip

    assert first == expected_queries("fhir.questionnaire_response.create.new_patient")
    assert first == expected_queries("intake_post.home_care.new_patient")
