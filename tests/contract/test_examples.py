"""The schema's examples are real: each example intake gets the decision its example answer
shows, and each error example is the body the service sends for that mistake."""

import json
import re

import pytest

from clinic.api.schema import ERROR_EXAMPLES
from tests.api.helpers import EVALUATE, INTAKES, post_json
from tests.conftest import intake_body, staff_client
from tests.reviews.helpers import URGENT_GP
from triage.api.examples import INTAKES as EXAMPLES
from triage.api.examples import decision

OUTCOME = ("disposition", "urgency", "service", "imaging")


def _outcome(body: dict) -> tuple:
    return (*(body[key] for key in OUTCOME), [reason["rule_id"] for reason in body["reasons"]])


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_an_example_intake_is_stored_with_the_decision_it_shows(api, name):
    response = post_json(api, INTAKES, EXAMPLES[name][2])

    assert response.status_code == 201, response.content
    assert _outcome(response.json()["assessment"]) == _outcome(decision(name))
    assert (response.json()["referral"] is None) == (decision(name)["disposition"] == "home_care")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_an_example_evaluation_gives_the_decision_it_shows(api, name):
    response = post_json(api, EVALUATE, EXAMPLES[name][2])

    assert response.status_code == 200, response.content
    assert _outcome(response.json()) == _outcome(decision(name))


def test_the_examples_are_the_readme_intake_an_emergency_and_a_call_back():
    assert decision("readme")["service"] == "physiotherapy"
    assert decision("emergency")["urgency"] == "emergency"
    assert decision("callback")["service"] == "clinician_callback"


def _example(code: int, name: str | None = None) -> dict:
    examples = ERROR_EXAMPLES[code]
    return examples[name] if name else next(iter(examples.values()))


def test_the_400_example(api):
    response = post_json(api, INTAKES, intake_body(pain_score=11))
    assert response.json() == _example(400)


def test_the_401_example(anonymous, db):
    assert anonymous.get(INTAKES).json() == _example(401)


def test_the_403_example(receptionist):
    assert receptionist.get("/api/v1/audit-events/").json() == _example(403)


def test_the_404_example(api):
    response = api.get(f"{INTAKES}00000000-0000-4000-8000-000000000000/")
    assert response.json() == _example(404)


def test_the_406_example(api):
    assert api.get(INTAKES, HTTP_ACCEPT="text/csv").json() == _example(406)


def test_the_409_examples(api, db):
    referral = post_json(api, INTAKES, intake_body(external_id="R-1", **URGENT_GP)).json()
    clinician = staff_client("clin", "north", "clinician")
    moved = post_json(
        clinician, f"/api/v1/referrals/{referral['referral']['id']}/transitions/", {"to": "booked"}
    )
    other_birth_date = post_json(api, INTAKES, intake_body(external_id="R-1", age=70))

    assert moved.json() == _example(409, "A referral move that is not legal now")
    assert other_birth_date.json() == _example(409, "A known patient with another date of birth")


def test_the_412_example(api, db):
    referral = post_json(api, INTAKES, intake_body(**URGENT_GP)).json()["referral"]
    clinician = staff_client("clin", "north", "clinician")
    response = post_json(
        clinician,
        f"/api/v1/referrals/{referral['id']}/transitions/",
        {"to": "sent"},
        HTTP_IF_MATCH='"stale-1"',
    )
    assert response.json() == _example(412)


def test_the_415_example_and_it_does_not_repeat_the_content_type(api):
    response = api.post(INTAKES, "x", content_type="text/x-made-up")
    assert response.json() == _example(415)
    assert b"made-up" not in response.content


def test_the_422_example(api):
    post_json(api, INTAKES, intake_body(external_id="K-1"), HTTP_IDEMPOTENCY_KEY="key-00000001")
    response = post_json(
        api, INTAKES, intake_body(external_id="K-2"), HTTP_IDEMPOTENCY_KEY="key-00000001"
    )
    assert response.json() == _example(422)


def test_the_429_example(api, settings):
    settings.THROTTLE_RATES = {"caller": "1/min", "anonymous": "1/min"}
    api.get(INTAKES)
    body = api.get(INTAKES).json()
    # The wait it names is the one left when it is sent.
    assert re.sub(r"\d+ seconds", "N seconds", json.dumps(body)) == re.sub(
        r"\d+ seconds", "N seconds", json.dumps(_example(429))
    )


def test_every_error_response_in_the_schema_has_an_example():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = [
        (method, path, code)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for code, response in operation["responses"].items()
        if code >= "400"
        and response.get("content", {}).get("application/json", {}).get("schema")
        == {"$ref": "#/components/schemas/Error"}
        and not response["content"]["application/json"].get("examples")
    ]
    assert missing == []
