"""Every refusal is an OperationOutcome naming where the problem is, never a 500, and never
repeating what was sent."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.builders import baseline_answers
from tests.fhir.helpers import (
    FHIR_JSON,
    R4,
    fhir_get,
    fhir_post,
    issues,
    item_index,
    questionnaire_response,
    read_questionnaire,
    resource_of,
)

QR = "QuestionnaireResponse"
SECRET = "Zebedee-Quartermaine-19"  # a value no message should repeat


@pytest.fixture
def questionnaire(api):
    return read_questionnaire(api)


@pytest.fixture
def response(questionnaire):
    """A valid response for a patient with no findings."""
    return questionnaire_response(questionnaire, baseline_answers(), external_id="MRN-ERR")


def _item(resource, link_id):
    return resource["item"][item_index(resource, link_id)]


def _refused(api, body, status=400):
    answer = fhir_post(api, QR, body)
    assert answer.status_code == status, answer.content
    assert SECRET not in answer.content.decode()
    return issues(answer)


def test_a_valid_response_is_stored(api, response):
    assert fhir_post(api, QR, response).status_code == 201


@pytest.mark.parametrize(
    ("link_id", "answer"),
    [
        pytest.param("pain_score", {"valueInteger": 11}, id="out-of-range"),
        pytest.param("pain_score", {"valueString": SECRET}, id="wrong-type"),
        pytest.param("pain_score", {"valueInteger": "5"}, id="number-as-text"),
        pytest.param("spasm_present", {"valueBoolean": 1}, id="boolean-as-number"),
        pytest.param("trauma", {"valueCoding": {"code": SECRET}}, id="code-not-offered"),
    ],
)
def test_a_wrong_answer_is_refused_and_named_at_the_answer(api, response, link_id, answer):
    index = item_index(response, link_id)
    _item(response, link_id)["answer"] = [answer]

    assert _refused(api, response) == [("invalid", f"{QR}.item[{index}].answer[0]")]


def test_a_code_of_another_system_is_refused(api, response):
    index = item_index(response, "trauma")
    _item(response, "trauma")["answer"][0]["valueCoding"]["system"] = "http://snomed.info/sct"

    assert _refused(api, response) == [
        ("invalid", f"{QR}.item[{index}].answer[0].valueCoding.system")
    ]


def test_a_repeated_choice_in_a_list_is_named_at_the_list(api, questionnaire):
    answers = baseline_answers(suspected_triggers=["stress", "stress"])
    body = questionnaire_response(questionnaire, answers)
    index = item_index(body, "suspected_triggers")

    assert _refused(api, body) == [("invalid", f"{QR}.item[{index}]")]


def test_a_wrong_choice_in_a_list_is_named_at_its_answer(api, questionnaire):
    body = questionnaire_response(questionnaire, baseline_answers(suspected_triggers=["stress"]))
    index = item_index(body, "suspected_triggers")
    _item(body, "suspected_triggers")["answer"].append({"valueCoding": {"code": "x"}})

    assert _refused(api, body) == [("invalid", f"{QR}.item[{index}].answer[1]")]


def test_a_second_answer_to_a_single_item_is_refused(api, response):
    index = item_index(response, "pain_score")
    _item(response, "pain_score")["answer"].append({"valueInteger": 4})

    assert _refused(api, response) == [("invalid", f"{QR}.item[{index}].answer[1]")]


def test_an_unknown_link_id_is_refused_without_repeating_it(api, response):
    response["item"].append({"linkId": SECRET, "answer": [{"valueBoolean": True}]})

    assert _refused(api, response) == [
        ("invalid", f"{QR}.item[{len(response['item']) - 1}].linkId")
    ]


def test_a_startback_item_outside_its_group_is_refused(api, response):
    response["item"].append({"linkId": "startback.leg_pain", "answer": [{"valueBoolean": True}]})
    answer = fhir_post(api, QR, response)

    assert issues(answer) == [("invalid", f"{QR}.item[{len(response['item']) - 1}].linkId")]
    assert "startback" in answer.json()["issue"][0]["diagnostics"]


def test_an_item_answered_twice_is_refused(api, response):
    response["item"].append(copy.deepcopy(_item(response, "fever")))

    assert _refused(api, response) == [("invalid", f"{QR}.item[{len(response['item']) - 1}]")]


def test_a_missing_required_item_is_named_at_its_list_with_its_link_id(api, response):
    response["item"].pop(item_index(response, "pain_score"))
    answer = fhir_post(api, QR, response)

    assert issues(answer) == [("required", QR)]
    assert "`pain_score`" in answer.json()["issue"][0]["diagnostics"]


def test_a_missing_startback_item_is_named_at_its_group(api, response):
    group = item_index(response, "startback")
    response["item"][group]["item"].pop(0)
    answer = fhir_post(api, QR, response)

    assert issues(answer) == [("required", f"{QR}.item[{group}]")]
    assert "`startback.leg_pain`" in answer.json()["issue"][0]["diagnostics"]


def test_a_wrong_startback_answer_is_named_inside_the_group(api, response):
    group = item_index(response, "startback")
    response["item"][group]["item"][1]["answer"] = [{"valueInteger": 1}]

    assert _refused(api, response) == [("invalid", f"{QR}.item[{group}].item[1].answer[0]")]


def test_an_optional_list_may_be_left_out(api, questionnaire):
    body = questionnaire_response(questionnaire, baseline_answers())
    assert "suspected_triggers" not in [item["linkId"] for item in body["item"]]

    assert fhir_post(api, QR, body).status_code == 201


def test_a_missing_patient_identifier_is_named(api, response):
    del response["contained"][0]["identifier"]

    assert _refused(api, response) == [("required", f"{QR}.contained[0].identifier[0].value")]


@pytest.mark.parametrize("birth_date", ["1984-13-09", "1984", "2999-01-01", "09/03/1984", 1984])
def test_a_bad_birth_date_is_named(api, response, birth_date):
    response["contained"][0]["birthDate"] = birth_date

    assert _refused(api, response) == [("invalid", f"{QR}.contained[0].birthDate")]


def test_a_gender_outside_administrative_gender_is_named(api, response):
    response["contained"][0]["gender"] = SECRET

    assert _refused(api, response) == [("invalid", f"{QR}.contained[0].gender")]


def test_a_patient_with_more_than_we_keep_is_refused(api, response):
    response["contained"][0]["name"] = [{"family": SECRET}]

    assert _refused(api, response) == [("invalid", f"{QR}.contained[0].name")]


def test_a_response_without_a_contained_patient_is_refused(api, response):
    response["subject"] = {"reference": "Patient/123"}

    assert _refused(api, response) == [("invalid", f"{QR}.subject")]


def test_a_response_that_is_not_completed_is_refused(api, response):
    response["status"] = "in-progress"

    assert _refused(api, response) == [("invalid", f"{QR}.status")]


def test_a_response_to_another_questionnaire_is_refused(api, response):
    response["questionnaire"] = "http://example.org/Questionnaire/phq-9"

    assert _refused(api, response) == [("invalid", f"{QR}.questionnaire")]


def test_other_invalid_fhir_is_named_by_the_model(api, response):
    response["authored"] = "yesterday"

    assert _refused(api, response) == [("invalid", f"{QR}.authored")]


def test_a_modifier_extension_is_refused(api, response):
    response["modifierExtension"] = [{"url": "http://example.org/x", "valueBoolean": True}]

    assert _refused(api, response) == [("not-supported", f"{QR}.modifierExtension")]


@pytest.mark.parametrize(
    "body", [{"resourceType": "Patient"}, [], "x", {"status": "completed"}], ids=repr
)
def test_a_body_that_is_not_a_questionnaire_response_is_refused(api, body):
    assert _refused(api, body) == [("invalid", None)]


def test_a_body_that_is_not_json_is_refused(api):
    assert _refused(api, '{"resourceType": ') == [("invalid", None)]


def test_a_known_patient_with_another_birth_date_is_a_conflict(api, questionnaire, response):
    assert fhir_post(api, QR, response).status_code == 201
    other = questionnaire_response(questionnaire, baseline_answers(), external_id="MRN-ERR", age=50)

    assert _refused(api, other, 409) == [("conflict", f"{QR}.contained[0].birthDate")]


def test_an_unknown_query_parameter_is_refused(api):
    answer = fhir_get(api, "metadata?_pretty=true")

    assert answer.status_code == 400
    assert issues(answer) == [("not-supported", "http._pretty")]


def test_a_search_needs_a_patient_subject(api):
    assert issues(fhir_get(api, "ServiceRequest")) == [("required", "http.subject")]
    answer = fhir_get(api, f"ServiceRequest?subject={SECRET}")
    assert issues(answer) == [("invalid", "http.subject")]
    assert SECRET not in answer.content.decode()


@pytest.mark.parametrize(
    ("path", "code"),
    [("Observation/1", "not-found"), ("Patient/not-an-id", "not-found"), ("", "not-found")],
)
def test_an_unknown_path_is_a_404_outcome(api, path, code):
    answer = fhir_get(api, path)

    assert answer.status_code == 404
    assert issues(answer) == [(code, None)]


def test_without_credentials_is_401(anonymous):
    answer = fhir_get(anonymous, "Questionnaire/back-pain-intake")

    assert answer.status_code == 401
    assert issues(answer) == [("login", "http.Authorization")]


def test_the_capability_statement_needs_no_credentials(anonymous):
    assert resource_of(fhir_get(anonymous, "metadata"), "CapabilityStatement")


def test_a_wrong_method_is_405(api):
    answer = api.delete(f"{R4}/Questionnaire/back-pain-intake")

    assert answer.status_code == 405
    assert issues(answer) == [("not-supported", None)]


def test_xml_is_406(api):
    answer = api.get(f"{R4}/metadata", HTTP_ACCEPT="application/fhir+xml")

    assert answer.status_code == 406
    assert issues(answer) == [("not-supported", "http.Accept")]


def test_plain_json_is_accepted_both_ways(api, response):
    answer = api.post(f"{R4}/{QR}", response, format="json", HTTP_ACCEPT="application/json")

    assert answer.status_code == 201
    assert answer["Content-Type"] == "application/json"


def test_a_body_of_another_type_is_415(api):
    answer = api.generic("POST", f"{R4}/{QR}", "x", content_type="text/plain")

    assert answer.status_code == 415
    assert issues(answer) == [("not-supported", "http.Content-Type")]


def test_a_key_used_with_another_body_is_422(api, questionnaire, response):
    first = fhir_post(api, QR, response, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    other = questionnaire_response(questionnaire, baseline_answers(pain_score=9))

    second = fhir_post(api, QR, other, HTTP_IDEMPOTENCY_KEY="k-1")

    assert second.status_code == 422
    assert issues(second) == [("business-rule", "http.Idempotency-Key")]


def test_a_malformed_idempotency_key_is_400(api, response):
    answer = fhir_post(api, QR, response, HTTP_IDEMPOTENCY_KEY="two words")

    assert issues(answer) == [("invalid", "http.Idempotency-Key")]


def test_too_many_requests_is_429(api, settings):
    settings.THROTTLE_RATES = {"caller": "2/min", "anonymous": "2/min"}
    answers = [fhir_get(api, "Questionnaire/back-pain-intake") for _ in range(3)]

    assert answers[-1].status_code == 429
    assert issues(answers[-1]) == [("throttled", None)]
    assert int(answers[-1]["Retry-After"]) > 0


# No 500 on junk ----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["resourceType", "status", "item", "linkId", "answer", "valueInteger", "valueCoding",
     "code", "contained", "subject", "reference", "identifier", "birthDate", "gender", "id"]
)  # fmt: skip
FHIRISH = st.recursive(
    JSON,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


def _mutations(base: dict):
    """The valid response with one part replaced by junk: gets past the first checks."""
    startback = item_index(base, "startback")
    paths = [("item",), ("contained",), ("subject",), ("item", 0), ("item", 0, "answer"),
             ("contained", 0, "identifier"), ("item", startback, "item")]  # fmt: skip

    def put(pair):
        path, junk = pair
        body = copy.deepcopy(base)
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = junk
        return body

    return st.tuples(st.sampled_from(paths), FHIRISH).map(put)


@pytest.fixture
def unthrottled(settings):
    settings.THROTTLE_RATES = {"caller": "1000000/min", "anonymous": "1000000/min"}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_junk_is_never_a_server_error(api, response, unthrottled, data):
    body = data.draw(st.one_of(FHIRISH, _mutations(response)))
    answer = fhir_post(api, QR, json.dumps(body))

    assert answer.status_code in (201, 400, 409), answer.content
    assert answer["Content-Type"].startswith(FHIR_JSON)
    resource_of(answer)


def test_a_body_too_large_is_413(api, response, settings):
    response["text"] = {"status": "generated", "div": "x" * (settings.MAX_REQUEST_BODY_BYTES + 1)}
    answer = fhir_post(api, QR, response)

    assert answer.status_code == 413
    assert issues(answer) == [("too-long", None)]


def test_a_session_post_without_the_csrf_token_is_403(db, response):
    from rest_framework.test import APIClient

    from tests.conftest import staff_client

    signed_in = staff_client("dr.csrf", "north", "clinician")
    client = APIClient(enforce_csrf_checks=True)
    client.cookies = signed_in.cookies

    answer = fhir_post(client, QR, response)

    assert answer.status_code == 403
    assert issues(answer) == [("forbidden", None)]
