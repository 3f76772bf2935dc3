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

# (id, body builder, {failing field path: expected code}, intake only)
BAD_BODIES: list[tuple[str, Callable[[], Any], dict[str, str], bool]] = [
    # Missing required fields.
    ("missing-answers", without("answers"), {"answers": "required"}, False),
    ("missing-patient", without("patient"), {"patient": "required"}, False),
    ("missing-date-of-birth", without("patient.date_of_birth"),
     {"patient.date_of_birth": "required"}, False),
    ("missing-sex", without("patient.sex"), {"patient.sex": "required"}, False),
    ("missing-external-id", without("patient.external_id"),
     {"patient.external_id": "required"}, True),
    ("missing-pain-score", without("answers.pain_score"), {"answers.pain_score": "required"},
     False),
    ("missing-red-flag", without("answers.saddle_numbness"),
     {"answers.saddle_numbness": "required"}, False),
    ("missing-startback", without("answers.startback"), {"answers.startback": "required"},
     False),
    ("missing-bothersomeness", without("answers.startback.bothersomeness"),
     {"answers.startback.bothersomeness": "required"}, False),
    ("missing-startback-item", without("answers.startback.leg_pain"),
     {"answers.startback.leg_pain": "required"}, False),
    # Unknown fields at every level.
    ("unknown-top-level", setting("colour", "blue"), {"colour": "unknown_field"}, False),
    ("unknown-in-patient", setting("patient.nhs_number", "123"),
     {"patient.nhs_number": "unknown_field"}, False),
    ("unknown-in-answers", setting("answers.pain_scor", 3), {"answers.pain_scor": "unknown_field"},
     False),
    ("unknown-in-startback", setting("answers.startback.leg_pains", True),
     {"answers.startback.leg_pains": "unknown_field"}, False),
    # Out of range, on both sides.
    ("pain-score-below-0", setting("answers.pain_score", -1), {"answers.pain_score": "min_value"},
     False),
    ("pain-score-above-10", setting("answers.pain_score", 11), {"answers.pain_score": "max_value"},
     False),
    ("duration-below-0", setting("answers.pain_duration_days", -1),
     {"answers.pain_duration_days": "min_value"}, False),
    ("duration-above-3650", setting("answers.pain_duration_days", 3651),
     {"answers.pain_duration_days": "max_value"}, False),
    ("prior-episodes-below-0", setting("answers.prior_episodes_12m", -1),
     {"answers.prior_episodes_12m": "min_value"}, False),
    ("prior-episodes-above-52", setting("answers.prior_episodes_12m", 53),
     {"answers.prior_episodes_12m": "max_value"}, False),
    # Wrong JSON types: never coerced.
    ("string-for-integer", setting("answers.pain_score", "5"), {"answers.pain_score": "invalid"},
     False),
    ("float-for-integer", setting("answers.pain_score", 5.0), {"answers.pain_score": "invalid"},
     False),
    ("true-for-integer", setting("answers.prior_episodes_12m", True),
     {"answers.prior_episodes_12m": "invalid"}, False),
    ("one-for-boolean", setting("answers.spasm_present", 1), {"answers.spasm_present": "invalid"},
     False),
    ("string-true-for-boolean", setting("answers.leg_numbness", "true"),
     {"answers.leg_numbness": "invalid"}, False),
    ("string-true-for-startback-item", setting("answers.startback.no_enjoyment", "true"),
     {"answers.startback.no_enjoyment": "invalid"}, False),
    ("string-for-list", setting("answers.suspected_triggers", "stress"),
     {"answers.suspected_triggers": "not_a_list"}, False),
    ("number-for-choice", setting("answers.trauma", 1), {"answers.trauma": "invalid_choice"},
     False),
    ("number-for-sex", setting("patient.sex", 0), {"patient.sex": "invalid_choice"}, False),
    ("null-for-integer", setting("answers.pain_score", None), {"answers.pain_score": "null"},
     False),
    ("null-for-red-flag", setting("answers.fever", None), {"answers.fever": "null"}, False),
    ("null-for-date-of-birth", setting("patient.date_of_birth", None),
     {"patient.date_of_birth": "null"}, False),
    ("null-for-startback", setting("answers.startback", None), {"answers.startback": "null"},
     False),
    # Unknown choices.
    ("red-flag-maybe", setting("answers.cancer_history", "maybe"),
     {"answers.cancer_history": "invalid_choice"}, False),
    ("red-flag-wrong-case", setting("answers.fever", "Yes"), {"answers.fever": "invalid_choice"},
     False),
    ("leg-weakness-unknown", setting("answers.leg_weakness", "severe"),
     {"answers.leg_weakness": "invalid_choice"}, False),
    ("trauma-unknown", setting("answers.trauma", "moderate"), {"answers.trauma": "invalid_choice"},
     False),
    ("sex-unknown", setting("patient.sex", "f"), {"patient.sex": "invalid_choice"}, False),
    ("trigger-unknown", setting("answers.suspected_triggers", ["stress", "gardening"]),
     {"answers.suspected_triggers.1": "invalid_choice"}, False),
    ("inflammatory-feature-unknown", setting("answers.inflammatory_features", ["back_pain"]),
     {"answers.inflammatory_features.0": "invalid_choice"}, False),
    ("bothersomeness-unknown", setting("answers.startback.bothersomeness", "a_bit"),
     {"answers.startback.bothersomeness": "invalid_choice"}, False),
    # Duplicates in a list.
    ("duplicate-trigger", setting("answers.suspected_triggers", ["stress", "stress"]),
     {"answers.suspected_triggers": "duplicate"}, False),
    ("duplicate-inflammatory-feature",
     setting("answers.inflammatory_features", ["buttock_pain", "psoriasis_history",
                                               "buttock_pain"]),
     {"answers.inflammatory_features": "duplicate"}, False),
    # Impossible, future and too-old dates.
    ("date-30-february", setting("patient.date_of_birth", "2023-02-30"),
     {"patient.date_of_birth": "invalid"}, False),
    ("date-month-13", setting("patient.date_of_birth", "2023-13-01"),
     {"patient.date_of_birth": "invalid"}, False),
    ("date-in-words", setting("patient.date_of_birth", "yesterday"),
     {"patient.date_of_birth": "invalid"}, False),
    ("date-as-datetime", setting("patient.date_of_birth", "1984-03-09T10:00:00Z"),
     {"patient.date_of_birth": "invalid"}, False),
    ("date-as-number", setting("patient.date_of_birth", 19840309),
     {"patient.date_of_birth": "invalid"}, False),
    ("date-of-birth-tomorrow", lambda: setting(
        "patient.date_of_birth", (timezone.localdate() + timedelta(days=1)).isoformat())(),
     {"patient.date_of_birth": "future"}, False),
    ("date-of-birth-131-years-ago", lambda: setting(
        "patient.date_of_birth", years_ago(131))(), {"patient.date_of_birth": "too_old"}, False),
    # Patient reference.
    ("external-id-65-chars", setting("patient.external_id", "A" * 65),
     {"patient.external_id": "max_length"}, False),
    ("external-id-with-space", setting("patient.external_id", "MRN 0042"),
     {"patient.external_id": "invalid"}, False),
    ("external-id-empty", setting("patient.external_id", ""),
     {"patient.external_id": "blank"}, False),
    # Not an object where one is needed.
    ("body-is-a-list", whole([intake_body()]), {"body": "invalid"}, False),
    ("body-is-a-string", whole("patient"), {"body": "invalid"}, False),
    ("body-is-a-number", whole(42), {"body": "invalid"}, False),
    ("answers-is-a-list", setting("answers", [{"pain_score": 3}]), {"answers": "invalid"},
     False),
    ("patient-is-a-string", setting("patient", "MRN-0042"), {"patient": "invalid"}, False),
    ("startback-is-a-list", setting("answers.startback", [False] * 8 + ["slightly"]),
     {"answers.startback": "invalid"}, False),
]  # fmt: skip


def _cases() -> list:
    params = []
    for case_id, build, expected, intake_only in BAD_BODIES:
        urls = (INTAKES,) if intake_only else (INTAKES, EVALUATE)
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


@pytest.mark.parametrize("raw", ["null", "true", "0", '"intake"', "[]"])
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_a_json_body_that_is_not_an_object_is_400_naming_the_body(api, stored_intake, url, raw):
    before = stored_counts()

    response = api.post(url, data=raw, content_type="application/json")

    assert_error_format(response, 400)
    assert error_fields(response) == {"body"}
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


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_several_bad_fields_are_all_reported_at_once(api, stored_intake, url):
    body = intake_body(pain_score=11)
    body["patient"]["sex"] = "robot"
    del body["answers"]["startback"]["bothersomeness"]
    before = stored_counts()

    response = post_json(api, url, body)

    assert_error_format(response, 400)
    assert error_fields(response) == {
        "answers.pain_score",
        "patient.sex",
        "answers.startback.bothersomeness",
    }
    assert stored_counts() == before


@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_unknown_fields_are_reported_together_with_invalid_values(api, stored_intake, url):
    body = intake_body(pain_score="7")
    body["answers"]["startback"]["mood"] = "low"
    body["patient"]["ward"] = "3B"
    body["extra"] = 1
    before = stored_counts()

    response = post_json(api, url, body)

    assert_error_format(response, 400)
    assert error_fields(response) == {
        "answers.pain_score",
        "answers.startback.mood",
        "patient.ward",
        "extra",
    }
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


@pytest.mark.parametrize(
    "raw",
    ['{"patient": {', "{'patient': {}}", "not json at all", '{"patient": {}} trailing', "[1, 2,"],
)
@pytest.mark.parametrize("url", [INTAKES, EVALUATE])
def test_malformed_json_is_400_naming_the_body(api, stored_intake, url, raw):
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
