"""One regular test for each bug the schema fuzzing (test_schema_fuzz.py) found."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.idempotency import VALID_IDEMPOTENCY_KEY
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, staff_client

KEYS = "/api/v1/api-keys/"
STAFF = "/api/v1/staff-roles/"
REFERRALS = "/api/v1/referrals/"
AUDIT = "/api/v1/audit-events/"
EVENTS = "/api/v1/events/"
RFC_3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _parameter(schema, path, method, name) -> dict:
    (parameter,) = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    return parameter


def _fields(response) -> set[tuple[str, str]]:
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


@pytest.fixture
def clinic_admin(db):
    return staff_client("admin.north", "north", "clinic_admin")


# ST108: GET /intakes/{id}/ as a reception system broke the response schema, which listed
# `answers` as required although only clinicians and clinic admins get them.
def test_the_answers_are_not_a_required_part_of_an_intake(schema, api):
    intake = post_json(api, INTAKES, intake_body()).json()

    assert "answers" not in api.get(f"{INTAKES}{intake['id']}/").json()
    assert "answers" in schema["components"]["schemas"]["Intake"]["properties"]
    assert "answers" not in schema["components"]["schemas"]["Intake"]["required"]


# ST202: `red_flags` and `overdue` were documented as booleans whose enum held the strings
# "true" and "false": no value satisfied both, and the fuzzer's `true` was refused.
@pytest.mark.parametrize(
    ("path", "name"), [("/api/v1/intakes/", "red_flags"), ("/api/v1/referrals/", "overdue")]
)
def test_true_false_filters_are_documented_as_plain_booleans(schema, api, path, name):
    assert _parameter(schema, path, "get", name)["schema"] == {"type": "boolean"}
    assert api.get(path, {name: "true"}).status_code == 200
    assert _fields(api.get(path, {name: "yes"})) == {(name, "invalid_choice")}


# ST202: any string was documented for Idempotency-Key, but only 1 to 255 visible ASCII
# characters are taken (400 otherwise).
@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/intakes/", "post"),
        ("/api/v1/intakes/{id}/review/", "post"),
        ("/api/v1/referrals/{id}/transitions/", "post"),
    ],
)
def test_the_idempotency_key_format_is_documented(schema, path, method):
    key = _parameter(schema, path, method, "Idempotency-Key")["schema"]
    assert key["pattern"] == VALID_IDEMPOTENCY_KEY.pattern


def test_an_idempotency_key_outside_the_documented_format_is_refused(api):
    response = post_json(api, INTAKES, intake_body(), HTTP_IDEMPOTENCY_KEY="two words")
    assert _fields(response) == {("Idempotency-Key", "invalid")}


# ST202: the change feed documented `limit` and `after` as any integer and any string; it
# takes 1 to 100 and a cursor of digits.
def test_the_change_feed_documents_its_limit_and_cursor(schema, api):
    limit = _parameter(schema, EVENTS, "get", "limit")["schema"]
    after = _parameter(schema, EVENTS, "get", "after")["schema"]

    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert after["pattern"] == r"^(0|[1-9][0-9]{0,17})$"  # ASCII digits, as the feed writes
    assert _fields(api.get(EVENTS, {"limit": 0})) == {("limit", "min_value")}


# ST201/ST202/ST103: `page_size=0` or `page_size=null` was silently replaced by the default
# (a schema-violating request accepted), `page=0` was documented as valid and refused, and the
# key and staff lists answered an undocumented 400 for a page past the last.
@pytest.mark.parametrize("path", [KEYS, STAFF, INTAKES, REFERRALS, AUDIT])
def test_paging_parameters_are_documented_and_checked(schema, clinic_admin, path):
    page = _parameter(schema, path, "get", "page")["schema"]
    page_size = _parameter(schema, path, "get", "page_size")["schema"]
    assert page["minimum"] == 1
    assert (page_size["minimum"], page_size["maximum"]) == (1, 100)
    assert "400" in schema["paths"][path]["get"]["responses"]

    for bad_size in ("0", "101", "null", "2.5", "-1", "\u0661"):  # (an Arabic-Indic 1)
        response = clinic_admin.get(path, {"page_size": bad_size})
        assert _fields(response) == {("page_size", "invalid_page_size")}, bad_size
    for bad_page in ("0", "last", "x", "99", "9" * 5000):
        assert _fields(clinic_admin.get(path, {"page": bad_page})) == {("page", "invalid_page")}
    assert clinic_admin.get(path, {"page_size": "100", "page": "1"}).status_code == 200
    empty = clinic_admin.get(path, {"page_size": "", "page": ""})  # refused, not the default
    assert _fields(empty) == {("page_size", "empty_parameter"), ("page", "empty_parameter")}


# ST202: unknown fields were documented as allowed (no `additionalProperties: false`) in the
# request bodies, and refused.
@pytest.mark.parametrize(
    "component",
    [
        "IntakeInputRequest",
        "EvaluateInputRequest",
        "PatientInputRequest",
        "EvaluatePatientRequest",
        "AnswersRequest",
        "StartBackAnswersRequest",
        "ReviewInputRequest",
        "TransitionInputRequest",
        "ApiKeyCreateRequest",
        "StaffRoleGrantRequest",
        "TokenRequestRequest",
    ],
)
def test_request_bodies_document_that_unknown_fields_are_refused(schema, component):
    assert schema["components"]["schemas"][component]["additionalProperties"] is False


def test_an_unknown_patient_field_is_refused(api):
    body = intake_body()
    body["patient"]["nickname"] = "x"
    assert _fields(post_json(api, INTAKES, body)) == {("patient.nickname", "unknown_field")}


# ST202: the lists of choices were documented without `uniqueItems`, and a repeated value
# was refused.
def test_lists_of_choices_document_that_values_are_distinct(schema, api):
    answers = schema["components"]["schemas"]["AnswersRequest"]["properties"]
    assert answers["inflammatory_features"]["uniqueItems"] is True
    assert answers["suspected_triggers"]["uniqueItems"] is True

    body = intake_body(suspected_triggers=["lifting_or_twisting", "lifting_or_twisting"])
    assert _fields(post_json(api, INTAKES, body)) == {("answers.suspected_triggers", "duplicate")}


# ST108: a key could be issued with an expiry centuries ago; it came back with a local mean
# time offset in seconds (`0025-09-10T12:42:54-00:01:15`), which is not a valid date-time.
def test_a_key_cannot_be_issued_already_expired(clinic_admin):
    response = post_json(clinic_admin, KEYS, {"name": "desk", "expiry_date": "0025-09-10T12:42Z"})
    assert _fields(response) == {("expiry_date", "past")}


def test_an_issued_keys_expiry_is_a_valid_date_time(clinic_admin):
    response = post_json(clinic_admin, KEYS, {"name": "desk", "expiry_date": "2999-06-01T09:00Z"})
    assert response.status_code == 201
    assert RFC_3339.match(response.json()["expiry_date"])


# ST201: text with a documented pattern was trimmed before it was checked, and `$` let a final
# newline through, so values outside the pattern were taken: a username "\x85éü" created the
# account "éü", and " MRN-1" or "MRN-1\n" was stored as the patient reference "MRN-1".
@pytest.mark.parametrize("username", ["\x85ann", " ann", "ann\n", "ann "])
def test_a_username_outside_its_pattern_is_refused(clinic_admin, username):
    response = post_json(clinic_admin, STAFF, {"username": username, "role": "reception"})
    assert _fields(response) == {("username", "invalid")}


def test_a_username_inside_its_pattern_is_taken(clinic_admin):
    response = post_json(clinic_admin, STAFF, {"username": "éva.n", "role": "reception"})
    assert (response.status_code, response.json()["username"]) == (201, "éva.n")


@pytest.mark.parametrize("external_id", [" MRN-1", "MRN-1 ", "MRN-1\n", "\tMRN-1"])
def test_a_patient_reference_outside_its_pattern_is_refused(api, external_id):
    response = post_json(api, INTAKES, intake_body(external_id=external_id))
    assert _fields(response) == {("patient.external_id", "invalid")}


def test_a_feed_cursor_with_a_final_newline_is_refused(api):
    assert _fields(api.get(EVENTS, {"after": "5\n"})) == {("after", "invalid")}


# ST101 (PostgreSQL): a date-time filter with an offset past ±15:59, valid ISO 8601, was
# handed to PostgreSQL as it was and refused there: a 500. A date-time that UTC cannot
# represent was a 500 on SQLite.
DATE_TIME_FILTERS = [
    (INTAKES, "submitted_after"),
    (INTAKES, "submitted_before"),
    (REFERRALS, "created_after"),
    (REFERRALS, "created_before"),
    (AUDIT, "at_after"),
    (AUDIT, "at_before"),
]


@pytest.mark.parametrize(("path", "name"), DATE_TIME_FILTERS)
def test_date_time_filters_take_any_iso_offset(clinic_admin, path, name):
    for value in ("2398-08-21T03:36:47+19:39", "2026-01-01T00:00:00-23:59"):
        response = clinic_admin.get(path, {name: value})
        assert response.status_code == 200, (value, response.json())


@pytest.mark.parametrize(("path", "name"), DATE_TIME_FILTERS)
def test_date_time_filters_refuse_a_time_utc_cannot_hold(clinic_admin, path, name):
    for value in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"):
        response = clinic_admin.get(path, {name: value})
        assert _fields(response) == {(name, "out_of_range")}, value


# ST103: no operation documented the 429 its caller gets past the rate limit.
def test_every_throttled_operation_documents_429(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path != "/healthz":  # not throttled: load balancers poll it
                assert "429" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    ("path", "method"), [(INTAKES, "get"), (KEYS, "get"), ("/api/v1/auth/tokens/", "post")]
)
def test_a_429_is_the_documented_error(schema, settings, clinic_admin, path, method):
    settings.THROTTLE_RATES = {"caller": "1/min", "anonymous": "1/min"}
    client = clinic_admin
    if path == "/api/v1/auth/tokens/":
        from rest_framework.test import APIClient

        client = APIClient()
    send = getattr(client, method)
    responses = [send(path, {}, format="json") for _ in range(3)]

    assert responses[-1].status_code == 429
    assert set(responses[-1].json()) == {"status", "code", "message", "errors"}
    assert int(responses[-1]["Retry-After"]) > 0
    documented = schema["paths"][path][method]["responses"]["429"]
    assert documented["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
