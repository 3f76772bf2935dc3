"""Bad input is refused with a 400 naming every failing field, and nothing is stored.

Every body case is posted to both the intake and the evaluation endpoint. A rejected intake
must leave the patient, intake and assessment tables exactly as they were.
"""

import copy
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.utils import timezone

from tests.api.helpers import EVALUATE, INTAKES, error_fields, post_json
from tests.conftest import intake_body
from triage.models import Assessment, Intake, Patient

MARKER = "ZZ-SECRET-VALUE-123"
MACHINE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
BODY_LIMIT = settings.MAX_REQUEST_BODY_BYTES


# Helpers ----------------------------------------------------------------------------------


def stored_counts() -> tuple[int, int, int]:
    return Patient.objects.count(), Intake.objects.count(), Assessment.objects.count()


def _parent(body: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, leaf = path.split(".")
    node = body
    for name in parents:
        node = node[name]
    return node, leaf


def without(path: str) -> Callable[[], Any]:
    """A valid body with the field at dotted `path` removed."""

    def build() -> Any:
        body = intake_body()
        node, leaf = _parent(body, path)
        assert leaf in node, f"{path} is not in the valid body"
        del node[leaf]
        return body

    return build


def setting(path: str, value: Any) -> Callable[[], Any]:
    """A valid body with the field at dotted `path` set to `value` (added if unknown)."""

    def build() -> Any:
        body = intake_body()
        node, leaf = _parent(body, path)
        node[leaf] = copy.deepcopy(value)
        return body

    return build


def whole(value: Any) -> Callable[[], Any]:
    """Something other than an intake object as the whole body."""
    return lambda: copy.deepcopy(value)


def years_ago(years: int, extra_days: int = 0) -> str:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return (day - timedelta(days=extra_days)).isoformat()


def assert_error_format(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["status"] == status
    assert MACHINE_CODE.match(data["code"]), data
    assert data["message"]
    assert data["errors"], data
    for error in data["errors"]:
        assert MACHINE_CODE.match(error["code"]), error
        assert error["message"], error
    return data


def codes_by_field(response) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], set()).add(error["code"])
    return found


@pytest.fixture
def stored_intake(api):
    """One intake already stored, so "unchanged" is measured from a non-empty database."""
    response = post_json(api, INTAKES, intake_body(external_id="MRN-EXISTING"))
    assert response.status_code == 201
    return response.json()


# The table of bad bodies -------------------------------------------------------------------

REMOVED = object()  # as a value in BAD_FIELDS: the field is left out of the body

# Bodies with one field changed, and that field refused: (id, field path, value, expected code)
BAD_FIELDS: list[tuple[str, str, Any, str]] = [
    # Missing required fields.
    ("missing-answers", "answers", REMOVED, "required"),
    ("missing-patient", "patient", REMOVED, "required"),
    ("missing-date-of-birth", "patient.date_of_birth", REMOVED, "required"),
    ("missing-sex", "patient.sex", REMOVED, "required"),
    ("missing-external-id", "patient.external_id", REMOVED, "required"),
    ("missing-pain-score", "answers.pain_score", REMOVED, "required"),
    ("missing-red-flag", "answers.saddle_numbness", REMOVED, "required"),
    ("missing-startback", "answers.startback", REMOVED, "required"),
    ("missing-bothersomeness", "answers.startback.bothersomeness", REMOVED, "required"),
    ("missing-startback-item", "answers.startback.leg_pain", REMOVED, "required"),
    # Unknown fields at every level.
    ("unknown-top-level", "colour", "blue", "unknown_field"),
    ("unknown-in-patient", "patient.nhs_number", "123", "unknown_field"),
    ("unknown-in-answers", "answers.pain_scor", 3, "unknown_field"),
    ("unknown-in-startback", "answers.startback.leg_pains", True, "unknown_field"),
    # Out of range, on both sides.
    ("pain-score-below-0", "answers.pain_score", -1, "min_value"),
    ("pain-score-above-10", "answers.pain_score", 11, "max_value"),
    ("duration-below-0", "answers.pain_duration_days", -1, "min_value"),
    ("duration-above-3650", "answers.pain_duration_days", 3651, "max_value"),
    ("prior-episodes-below-0", "answers.prior_episodes_12m", -1, "min_value"),
    ("prior-episodes-above-52", "answers.prior_episodes_12m", 53, "max_value"),
    # Wrong JSON types: never coerced.
    ("string-for-integer", "answers.pain_score", "5", "invalid"),
    ("float-for-integer", "answers.pain_score", 5.0, "invalid"),
    ("true-for-integer", "answers.prior_episodes_12m", True, "invalid"),
    ("one-for-boolean", "answers.spasm_present", 1, "invalid"),
    ("string-true-for-boolean", "answers.leg_numbness", "true", "invalid"),
    ("string-true-for-startback-item", "answers.startback.no_enjoyment", "true", "invalid"),
    ("string-for-list", "answers.suspected_triggers", "stress", "not_a_list"),
    ("null-for-integer", "answers.pain_score", None, "null"),
    ("null-for-red-flag", "answers.fever", None, "null"),
    ("null-for-date-of-birth", "patient.date_of_birth", None, "null"),
    ("null-for-startback", "answers.startback", None, "null"),
    ("number-for-choice", "answers.trauma", 1, "invalid_choice"),
    ("number-for-sex", "patient.sex", 0, "invalid_choice"),
    # Unknown choices.
    ("red-flag-maybe", "answers.cancer_history", "maybe", "invalid_choice"),
    ("red-flag-wrong-case", "answers.fever", "Yes", "invalid_choice"),
    ("leg-weakness-unknown", "answers.leg_weakness", "severe", "invalid_choice"),
    ("trauma-unknown", "answers.trauma", "moderate", "invalid_choice"),
    ("sex-unknown", "patient.sex", "f", "invalid_choice"),
    ("bothersomeness-unknown", "answers.startback.bothersomeness", "a_bit", "invalid_choice"),
    # Duplicates in a list.
    ("duplicate-trigger", "answers.suspected_triggers", ["stress", "stress"], "duplicate"),
    (
        "duplicate-inflammatory-feature",
        "answers.inflammatory_features",
        ["buttock_pain", "psoriasis_history", "buttock_pain"],
        "duplicate",
    ),
    # Impossible dates.
    ("date-30-february", "patient.date_of_birth", "2023-02-30", "invalid"),
    ("date-month-13", "patient.date_of_birth", "2023-13-01", "invalid"),
    ("date-in-words", "patient.date_of_birth", "yesterday", "invalid"),
    ("date-as-datetime", "patient.date_of_birth", "1984-03-09T10:00:00Z", "invalid"),
    ("date-as-number", "patient.date_of_birth", 19840309, "invalid"),
    # Patient reference.
    ("external-id-65-chars", "patient.external_id", "A" * 65, "max_length"),
    ("external-id-with-space", "patient.external_id", "MRN 0042", "invalid"),
    ("external-id-empty", "patient.external_id", "", "blank"),
    # Not an object where one is needed.
    ("answers-is-a-list", "answers", [{"pain_score": 3}], "invalid"),
    ("patient-is-a-string", "patient", "MRN-0042", "invalid"),
    ("startback-is-a-list", "answers.startback", [False] * 8 + ["slightly"], "invalid"),
]

# Bodies refused for another field than the one changed, or built when the test runs:
# (id, body builder, {failing field path: expected code})
OTHER_BAD_BODIES: list[tuple[str, Callable[[], Any], dict[str, str]]] = [
    # An unknown choice in a list: the refused field is the item.
    ("trigger-unknown", setting("answers.suspected_triggers", ["stress", "gardening"]),
     {"answers.suspected_triggers.1": "invalid_choice"}),
    ("inflammatory-feature-unknown", setting("answers.inflammatory_features", ["back_pain"]),
     {"answers.inflammatory_features.0": "invalid_choice"}),
    # Dates of birth in the future or too long ago, from the date the test runs.
    ("date-of-birth-tomorrow", lambda: setting(
        "patient.date_of_birth", (timezone.localdate() + timedelta(days=1)).isoformat())(),
     {"patient.date_of_birth": "future"}),
    ("date-of-birth-131-years-ago", lambda: setting(
        "patient.date_of_birth", years_ago(131))(), {"patient.date_of_birth": "too_old"}),
    # Not an object where one is needed.
    ("body-is-a-list", whole([intake_body()]), {"body": "invalid"}),
    ("body-is-a-string", whole("patient"), {"body": "invalid"}),
    ("body-is-a-number", whole(42), {"body": "invalid"}),
]  # fmt: skip

INTAKE_ONLY = {"missing-external-id"}  # an evaluation needs no patient reference


def _cases() -> list:
    field_cases = [
        (case_id, without(path) if value is REMOVED else setting(path, value), {path: code})
        for case_id, path, value, code in BAD_FIELDS
    ]
    params = []
    for case_id, build, expected in field_cases + OTHER_BAD_BODIES:
        urls = (INTAKES,) if case_id in INTAKE_ONLY else (INTAKES, EVALUATE)
        for url in urls:
            name = "intakes" if url == INTAKES else "evaluate"
            params.append(pytest.param(url, build, expected, id=f"{name}-{case_id}"))
    return params


@pytest.mark.parametrize(("url", "build", "expected"), _cases())
def test_bad_body_is_400_naming_exactly_the_failing_fields_and_stores_nothing(
    api, stored_intake, url, build, expected
):
    before = stored_counts()

    response = post_json(api, url, build())

    data = assert_error_format(response, 400)
    assert data["code"] == "invalid"
    assert error_fields(response) == set(expected), data
    found = codes_by_field(response)
    for field, code in expected.items():
        assert code in found[field], data
    assert stored_counts() == before


@pytest.mark.parametrize("value", [42, 4.2e1, ["MRN-1"], {"id": "MRN-1"}])
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_external_id_of_another_json_type_is_refused_not_coerced(api, stored_intake, url, value):
    """Input is taken as its JSON type (clinic/api/fields.py); 42 must not become "42"."""
    before = stored_counts()

    response = post_json(api, url, setting("patient.external_id", value)())

    assert response.status_code == 400, response.content
    assert error_fields(response) == {"patient.external_id"}
    assert stored_counts() == before


def test_evaluation_needs_no_external_id_where_an_intake_does(api, stored_intake):
    body = intake_body()
    del body["patient"]["external_id"]
    before = stored_counts()

    evaluated = post_json(api, EVALUATE, body)
    refused = post_json(api, INTAKES, body)

    assert evaluated.status_code == 200
    assert refused.status_code == 400
    assert error_fields(refused) == {"patient.external_id"}
    assert stored_counts() == before


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_date_of_birth_just_over_130_years_ago_is_refused(api, url):
    """130 years and one day ago is more than 130 years ago, whatever today's date is."""
    body = intake_body()
    body["patient"]["date_of_birth"] = years_ago(130, extra_days=1)
    before = stored_counts()

    response = post_json(api, url, body)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {"patient.date_of_birth"}
    assert stored_counts() == before


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_boundary_values_are_accepted(api, url):
    """The ranges' own ends are valid, so the out-of-range cases above test the edges."""
    low = intake_body(external_id="MRN-LOW", pain_score=0, pain_duration_days=0)
    high = intake_body(
        external_id="MRN-HIGH", pain_score=10, pain_duration_days=3650, prior_episodes_12m=52
    )
    high["patient"]["external_id"] = "A" * 64

    assert post_json(api, url, low).status_code in (200, 201)
    assert post_json(api, url, high).status_code in (200, 201)


def _several_bad_values() -> dict[str, Any]:
    body = intake_body(pain_score=11)
    body["patient"]["sex"] = "robot"
    del body["answers"]["startback"]["bothersomeness"]
    return body


def _unknown_fields_and_an_invalid_value() -> dict[str, Any]:
    body = intake_body(pain_score="7")
    body["answers"]["startback"]["mood"] = "low"
    body["patient"]["ward"] = "3B"
    body["extra"] = 1
    return body


@pytest.mark.parametrize(
    ("build", "fields"),
    [
        pytest.param(
            _several_bad_values,
            {"answers.pain_score", "patient.sex", "answers.startback.bothersomeness"},
            id="several-bad-values",
        ),
        pytest.param(
            _unknown_fields_and_an_invalid_value,
            {"answers.pain_score", "answers.startback.mood", "patient.ward", "extra"},
            id="unknown-fields-together-with-an-invalid-value",
        ),
    ],
)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_every_bad_field_is_reported_at_once(api, stored_intake, url, build, fields):
    before = stored_counts()

    response = post_json(api, url, build())

    assert_error_format(response, 400)
    assert error_fields(response) == fields
    assert stored_counts() == before


# Messages never echo the submitted value --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("answers.fever", MARKER),
        ("answers.trauma", MARKER),
        ("answers.leg_weakness", MARKER),
        ("answers.startback.bothersomeness", MARKER),
        ("answers.suspected_triggers", [MARKER]),
        ("answers.inflammatory_features", ["buttock_pain", MARKER]),
        ("patient.sex", MARKER),
        ("patient.external_id", f"{MARKER} X"),
        ("patient.external_id", MARKER * 4),
        ("patient.date_of_birth", MARKER),
        ("answers.pain_score", MARKER),
        ("answers.spasm_present", MARKER),
    ],
    ids=lambda value: str(value)[:40],
)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_error_messages_never_echo_the_submitted_value(api, url, path, value):
    response = post_json(api, url, setting(path, value)())

    assert response.status_code == 400
    assert path.split(".")[0] in {field.split(".")[0] for field in error_fields(response)}
    assert MARKER not in response.content.decode()


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_malformed_json_does_not_echo_the_body(api, url):
    response = api.post(url, data='{"patient": "' + MARKER, content_type="application/json")

    assert response.status_code == 400
    assert MARKER not in response.content.decode()


# Request-level failures -------------------------------------------------------------------


JSON_BUT_NOT_AN_OBJECT = ["null", "true", "0", '"intake"', "[]"]
NOT_JSON = [
    '{"patient": {',
    "{'patient': {}}",
    "not json at all",
    '{"patient": {}} trailing',
    "[1, 2,",
]


@pytest.mark.parametrize("raw", JSON_BUT_NOT_AN_OBJECT + NOT_JSON)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_body_that_is_not_a_json_object_is_400_naming_the_body(api, stored_intake, url, raw):
    before = stored_counts()

    response = api.post(url, data=raw, content_type="application/json")

    assert_error_format(response, 400)
    assert error_fields(response) == {"body"}
    assert stored_counts() == before


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        ("application/x-www-form-urlencoded", urlencode({"patient": "x", "answers": "y"})),
        ("text/plain", json.dumps(intake_body())),
        ("application/xml", "<intake/>"),
    ],
    ids=["form-encoded", "text-plain", "xml"],
)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_body_that_is_not_json_is_415_naming_the_content_type(
    api, stored_intake, url, content_type, payload
):
    before = stored_counts()

    response = api.post(url, data=payload, content_type=content_type)

    data = assert_error_format(response, 415)
    assert error_fields(response) == {"Content-Type"}
    assert data["code"] == "unsupported_media_type"
    assert stored_counts() == before


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_multipart_form_is_415_naming_the_content_type(api, stored_intake, url):
    before = stored_counts()

    response = api.post(url, {"patient": "x", "answers": "y"}, format="multipart")

    assert_error_format(response, 415)
    assert error_fields(response) == {"Content-Type"}
    assert stored_counts() == before


def _oversized_valid_json() -> str:
    body = json.dumps(intake_body())
    padded = body[:-1] + " " * (BODY_LIMIT + 1 - len(body)) + "}"
    assert json.loads(padded) == intake_body()
    assert len(padded.encode()) > BODY_LIMIT
    return padded


def _oversized_unknown_field() -> str:
    body = intake_body()
    body["padding"] = "x" * (BODY_LIMIT + 1)
    return json.dumps(body)


@pytest.mark.parametrize(
    "make_payload",
    [_oversized_valid_json, _oversized_unknown_field],
    ids=["whitespace-padding", "unknown-field-padding"],
)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_body_over_64_kib_is_413_naming_the_body(api, stored_intake, url, make_payload):
    assert BODY_LIMIT == 64 * 1024
    before = stored_counts()

    response = api.post(url, data=make_payload(), content_type="application/json")

    assert_error_format(response, 413)
    assert error_fields(response) == {"body"}
    assert stored_counts() == before


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_body_just_under_the_limit_is_accepted(api, url):
    body = json.dumps(intake_body())
    padded = body[:-1] + " " * (BODY_LIMIT - len(body)) + "}"
    assert len(padded.encode()) == BODY_LIMIT

    response = api.post(url, data=padded, content_type="application/json")

    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_an_empty_body_is_400_not_a_server_error(api, stored_intake, url):
    before = stored_counts()

    response = api.post(url, data="", content_type="application/json")

    assert_error_format(response, 400)
    # Either "the body is missing" or "both required parts are missing" names the fault.
    assert error_fields(response) in ({"body"}, {"patient", "answers"})
    assert stored_counts() == before


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_an_empty_object_names_both_required_parts(api, stored_intake, url):
    before = stored_counts()

    response = post_json(api, url, {})

    assert_error_format(response, 400)
    assert codes_by_field(response) == {"patient": {"required"}, "answers": {"required"}}
    assert stored_counts() == before


# List filters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"disposition": "nonsense"}, "disposition"),
        ({"urgency": "soon"}, "urgency"),
        ({"service": "dentist"}, "service"),
        ({"submitted_after": "notadate"}, "submitted_after"),
        ({"submitted_before": "2023-13-01T00:00:00Z"}, "submitted_before"),
        ({"submitted_on": "2023-02-30"}, "submitted_on"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"red_flags": "maybe"}, "red_flags"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else None,
)
def test_an_invalid_list_filter_is_400_naming_the_filter(api, stored_intake, query, field):
    response = api.get(INTAKES, query)

    assert_error_format(response, 400)
    assert error_fields(response) == {field}


@pytest.mark.parametrize(
    "query",
    [
        {"disposition": MARKER},
        {"urgency": MARKER},
        {"service": MARKER},
        {"patient": MARKER},
        {"submitted_on": MARKER},
    ],
    ids=lambda value: next(iter(value)),
)
def test_an_invalid_list_filter_error_does_not_echo_the_value(api, query):
    response = api.get(INTAKES, query)

    assert response.status_code == 400
    assert MARKER not in response.content.decode()


def test_valid_list_filters_are_accepted_and_applied(api, stored_intake):
    response = api.get(
        INTAKES, {"disposition": "home_care", "patient": stored_intake["patient"]["id"]}
    )

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [stored_intake["id"]]
