"""Requests a hostile caller can make that used to be a 500: each is a 4xx in the usual JSON
error format, echoes nothing of what was sent, and stores nothing."""

import json

import pytest
from rest_framework.test import APIClient

from clinic.models import AuditEvent, AuditPatient
from referrals.models import Referral, ReferralHistory
from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import intake_body, staff_client
from tests.referrals.helpers import open_referral
from triage.models import Intake, Patient, Review

# Every route that takes a JSON body, with the caller allowed to use it ({intake} and
# {referral} are filled with stored ones, so the body is read).
JSON_ROUTES = [
    ("api", "/api/v1/triage/evaluate/"),
    ("api", INTAKES),
    ("clinician", "/api/v1/intakes/{intake}/review/"),
    ("api", "/api/v1/referrals/{referral}/transitions/"),
    ("anonymous", "/api/v1/auth/tokens/"),
    ("clinic_admin", "/api/v1/api-keys/"),
    ("clinic_admin", "/api/v1/staff-roles/"),
]
DEEP_BODIES = {
    "a thousand nested lists": "[" * 1000 + "]" * 1000,
    "three thousand nested objects": '{"a":' * 3000,
    "nested just below the decoder's limit": "[" * 200 + "]" * 200,
    "an intake nested too deep": json.dumps(
        {"patient": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}
    ),
}


@pytest.fixture
def callers(api, clinician, anonymous):
    return {
        "api": api,
        "clinician": clinician,
        "anonymous": anonymous,
        "clinic_admin": staff_client("admin.north", "north", "clinic_admin"),
    }


def _post_raw(client: APIClient, path: str, raw: str):
    # The lone surrogate below is written as a JSON escape, so the bytes sent are valid UTF-8.
    return client.generic("POST", path, raw.encode(), content_type="application/json")


@pytest.fixture
def stored(api) -> dict:
    """One stored intake with its referral: what the detail routes are aimed at."""
    intake = open_referral(api)
    return {"intake": intake["id"], "referral": intake["referral"]["id"]}


def _nothing_stored() -> None:
    assert Intake.objects.count() == 1
    assert Patient.objects.count() == 1
    assert Referral.objects.count() == 1
    assert Review.objects.count() == 0
    assert ReferralHistory.objects.count() == 1  # its opening only


@pytest.mark.parametrize("body", sorted(DEEP_BODIES))
def test_deeply_nested_json_is_a_400_naming_the_body(callers, stored, body):
    for who, path in JSON_ROUTES:
        response = _post_raw(callers[who], path.format(**stored), DEEP_BODIES[body])

        assert response.status_code == 400, (path, response.content[:300])
        assert response.json()["errors"][0]["field"] == "body"
    _nothing_stored()


@pytest.mark.parametrize(
    "raw",
    [
        '{"\\ud800": 1}',
        '{"\\udfff\\ud800": {"x": 1}}',
        '{"patient": {"external_id": "\\ud800"}}',
        '{"answers": {"\\udc00": true}}',
    ],
)
def test_a_lone_surrogate_anywhere_is_a_400_that_echoes_nothing(callers, stored, raw):
    for who, path in JSON_ROUTES:
        response = _post_raw(callers[who], path.format(**stored), raw)

        assert response.status_code == 400, path
        body = response.content.decode("utf-8")  # a response that can be encoded at all
        assert "ud800" not in body.lower() and "\ud800" not in body
        assert "udc00" not in body.lower() and "udfff" not in body.lower()
        assert error_fields(response) == {"body"}
    _nothing_stored()


def test_a_valid_intake_still_parses(api):
    response = post_json(api, INTAKES, intake_body())
    assert response.status_code == 201


def test_an_unknown_key_that_is_not_a_plain_name_is_refused_without_repeating_it(api):
    body = intake_body()
    body["answers"]["<script>MRN-77</script>"] = 1
    body["patient"]["note about John Smith"] = "x"

    response = post_json(api, INTAKES, body)

    assert response.status_code == 400
    text = response.content.decode()
    assert "script" not in text and "John" not in text
    codes = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert ("answers", "unknown_field") in codes
    assert ("patient", "unknown_field") in codes


def test_an_unknown_plain_field_is_still_named(api):
    body = intake_body()
    body["answers"]["pain_scor"] = 3

    response = post_json(api, INTAKES, body)

    assert response.status_code == 400
    assert "answers.pain_scor" in error_fields(response)


DETAIL_PATHS = [
    "/api/v1/intakes/{}/",
    "/api/v1/intakes/{}/care-plan/",
    "/api/v1/intakes/{}/care-plan/print/",
    "/api/v1/referrals/{}/",
    "/api/v1/referrals/{}/letter/",
    "/api/v1/patients/{}/history/",
]
POST_DETAIL_PATHS = [
    "/api/v1/intakes/{}/review/",
    "/api/v1/referrals/{}/transitions/",
    "/api/v1/api-keys/{}/revoke/",
    "/api/v1/api-keys/{}/rotate/",
]
UNSTORABLE_IDS = ["%00", "abc%00def", "%ED%A0%80", "%F0%9F%92%A9", "x" * 300, "1%0A2"]


@pytest.mark.parametrize("who", ["api", "clinic_admin", "anonymous"])
@pytest.mark.parametrize("bad_id", UNSTORABLE_IDS)
def test_an_unstorable_path_id_is_a_404_on_every_detail_route(callers, who, bad_id):
    client = callers[who]
    for template in [*DETAIL_PATHS, *POST_DETAIL_PATHS, "/api/v1/staff-roles/{}/"]:
        path = template.format(bad_id)
        if template in POST_DETAIL_PATHS:
            response = client.post(path, {}, format="json")
        elif template.startswith("/api/v1/staff-roles/"):
            response = client.delete(path)
        else:
            response = client.get(path)

        assert response.status_code == 404, path
        assert response.json()["errors"][0]["field"] == "path"
        assert "\x00" not in response.content.decode()
    # Whatever was audited, no unstorable id reached the trail.
    for ids in AuditEvent.objects.values_list("object_ids", flat=True):
        assert all("\x00" not in str(i) and len(str(i)) <= 64 for i in ids)
    assert AuditPatient.objects.count() == 0
