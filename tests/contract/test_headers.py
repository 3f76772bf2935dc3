"""The response headers the schema declares are the ones the service sends."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.api.schema import HEADERS
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, staff_client
from tests.reviews.helpers import URGENT_GP

RATE_LIMIT = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def declared(schema, path: str, method: str, code: int) -> set[str]:
    return set(schema["paths"][path][method]["responses"][str(code)].get("headers", {}))


def sent(response) -> set[str]:
    """The headers of those the schema describes that this response carries."""
    return {name for name in HEADERS if response.has_header(name)}


def test_a_stored_intake_sends_what_its_201_declares(schema, api):
    response = post_json(api, INTAKES, intake_body(), HTTP_IDEMPOTENCY_KEY="intake-0001")

    assert response.status_code == 201
    expected = declared(schema, "/api/v1/intakes/", "post", 201) - {"Idempotent-Replayed"}
    assert sent(response) == expected
    assert response["Location"].endswith(f"/api/v1/intakes/{response.json()['id']}/")


def test_a_replayed_intake_says_so(schema, api):
    first = post_json(api, INTAKES, intake_body(), HTTP_IDEMPOTENCY_KEY="intake-0002")

    again = post_json(api, INTAKES, intake_body(), HTTP_IDEMPOTENCY_KEY="intake-0002")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert sent(again) == declared(schema, "/api/v1/intakes/", "post", 201)


def test_a_referral_sends_its_etag(schema, api, db):
    referral = post_json(api, INTAKES, intake_body(**URGENT_GP)).json()["referral"]
    clinician = staff_client("clin", "north", "clinician")

    response = clinician.get(f"/api/v1/referrals/{referral['id']}/")

    assert response.status_code == 200
    assert sent(response) == declared(schema, "/api/v1/referrals/{id}/", "get", 200)
    assert response["ETag"].startswith('"')


def test_a_429_sends_retry_after_and_the_allowance(schema, api, settings):
    settings.THROTTLE_RATES = {"caller": "1/min", "anonymous": "1/min"}
    api.get(INTAKES)

    response = api.get(INTAKES)

    assert response.status_code == 429
    assert sent(response) == declared(schema, "/api/v1/intakes/", "get", 429)


def test_a_406_is_counted_and_says_so(schema, api):
    response = api.get(INTAKES, HTTP_ACCEPT="text/csv")

    assert response.status_code == 406
    assert sent(response) == declared(schema, "/api/v1/intakes/", "get", 406)
    assert sent(response) >= RATE_LIMIT


def test_a_401_has_no_caller_and_no_allowance(schema, anonymous, db):
    response = anonymous.get(INTAKES)

    assert response.status_code == 401
    assert sent(response) == declared(schema, "/api/v1/intakes/", "get", 401) == {"X-Request-ID"}


def test_every_response_declares_its_request_id(schema):
    missing = [
        (path, method, code)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for code, response in operation["responses"].items()
        if "X-Request-ID" not in response.get("headers", {})
    ]
    assert missing == []
