"""Query parameters are input like any other: an operation takes only those it documents.

An unknown parameter (a typo in a filter name would otherwise return the whole, unfiltered
list), an empty value, or a parameter that is not a list sent twice is a 400 naming it, on
every operation of the API; the OpenAPI schema documents exactly the parameters each takes.
"""

import uuid
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.views import APIView

from clinic.api.query import StrictQueryMixin
from clinic.services import api_key_create
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, staff_client
from triage.models import Intake

MARKER = "ZZ-SECRET-VALUE-123"
REFERRALS = "/api/v1/referrals/"
EVENTS = "/api/v1/events/"
AUDIT = "/api/v1/audit-events/"
PROJECT_APPS = ("clinic", "triage", "referrals", "fhir_r4")


def codes_by_field(response) -> dict[str, str]:
    return {error["field"]: error["code"] for error in response.json()["errors"]}


def assert_refused(response, field: str, code: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"status", "code", "message", "errors"}
    assert codes_by_field(response) == {field: code}


@pytest.fixture
def clinic_admin(db) -> APIClient:
    return staff_client("admin.north", "north", "clinic_admin")


@pytest.fixture
def stored(api) -> dict:
    """An intake of `north` that opened a referral."""
    response = post_json(api, INTAKES, intake_body(external_id="MRN-Q1", fever="yes"))
    assert response.status_code == 201, response.content
    return response.json()


# Unknown parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"foo": "1"},
        {"dispositon": "home_care"},  # a typo of `disposition`
        {"page_sise": "2"},
        {"after": "0"},  # the change feed's, not the list's
        {"format": "json"},  # DRF's own format override is not taken either
    ],
    ids=lambda query: next(iter(query)),
)
def test_an_unknown_parameter_of_the_intake_list_is_400_naming_it(api, stored, query):
    name = next(iter(query))

    assert_refused(api.get(INTAKES, query), name, "unknown_parameter")


def test_a_typo_in_a_filter_name_does_not_return_the_unfiltered_list(api, stored):
    # The stored intake is a medical referral: a filter on home care that took effect would
    # list nothing, and one silently dropped would list it.
    assert api.get(INTAKES, {"disposition": "home_care"}).json()["results"] == []

    response = api.get(INTAKES, {"dispositon": "home_care"})

    assert response.status_code == 400
    assert "results" not in response.json()


def test_every_unknown_parameter_is_named_with_the_known_ones_left_alone(api, stored):
    response = api.get(INTAKES, {"foo": "1", "bar": "2", "disposition": "home_care"})

    assert response.status_code == 400
    assert codes_by_field(response) == {"foo": "unknown_parameter", "bar": "unknown_parameter"}


@pytest.mark.parametrize(
    "name",
    [MARKER, f"{MARKER}[0]", "patient.external_id", "a b", "é", "x" * 65, "1abc"],
    ids=["marker", "brackets", "dotted", "space", "non-ascii", "too-long", "leading-digit"],
)
def test_an_unknown_parameter_that_is_not_a_plain_name_is_not_repeated(api, stored, name):
    response = api.get(f"{INTAKES}?{urlencode({name: 'x'})}")

    assert_refused(response, "query", "unknown_parameter")
    assert name not in response.content.decode()


def test_several_unknown_parameters_that_are_not_plain_names_are_one_error(api):
    response = api.get(f"{INTAKES}?{urlencode({'a b': '1', 'c-d': '2'})}")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "query",
            "code": "unknown_parameter",
            "message": response.json()["errors"][0]["message"],
        }
    ]


@pytest.mark.parametrize("suffix", ["", "care-plan/", "care-plan/print/"])
@pytest.mark.parametrize("query", [{"page": "1"}, {"disposition": "home_care"}, {"foo": "1"}])
def test_list_parameters_are_unknown_to_a_single_intake(api, stored, suffix, query):
    # Filters and pages belong to the list; on one intake they would mean nothing.
    response = api.get(f"{INTAKES}{stored['id']}/{suffix}", query)

    assert_refused(response, next(iter(query)), "unknown_parameter")


def test_a_write_with_a_query_parameter_is_refused_and_stores_nothing(api):
    response = post_json(api, f"{INTAKES}?dry_run=true", intake_body())

    assert_refused(response, "dry_run", "unknown_parameter")
    assert Intake.objects.count() == 0


def test_a_caller_without_credentials_is_told_so_before_anything_about_parameters(db, anonymous):
    response = anonymous.get(INTAKES, {"foo": "1"})

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["put", "patch", "delete", "trace"])
def test_a_method_the_operation_does_not_answer_is_405_whatever_the_query(api, stored, method):
    response = api.generic(method.upper(), f"{INTAKES}{stored['id']}/?foo=1")

    assert response.status_code == 405


# Empty values -------------------------------------------------------------------------------

INTAKE_FILTERS = [
    *("disposition", "urgency", "service", "red_flags", "patient"),
    *("submitted_after", "submitted_before", "submitted_on", "page", "page_size"),
]
REFERRAL_FILTERS = [
    *("status", "service", "urgency", "overdue", "patient", "intake"),
    *("created_after", "created_before", "created_on", "page", "page_size"),
]
AUDIT_FILTERS = [
    *("actor", "action", "patient", "outcome", "at_after", "at_before", "on"),
    *("page", "page_size"),
]


@pytest.mark.parametrize("name", INTAKE_FILTERS)
def test_an_empty_intake_list_parameter_is_400_naming_it(api, stored, name):
    assert_refused(api.get(f"{INTAKES}?{name}="), name, "empty_parameter")


@pytest.mark.parametrize("name", ["patient", "page"])
def test_a_parameter_with_no_value_at_all_is_empty_too(api, stored, name):
    assert_refused(api.get(f"{INTAKES}?{name}"), name, "empty_parameter")


@pytest.mark.parametrize("name", REFERRAL_FILTERS)
def test_an_empty_referral_list_parameter_is_400_naming_it(api, stored, name):
    assert_refused(api.get(f"{REFERRALS}?{name}="), name, "empty_parameter")


@pytest.mark.parametrize("name", AUDIT_FILTERS)
def test_an_empty_audit_trail_parameter_is_400_naming_it(clinic_admin, name):
    assert_refused(clinic_admin.get(f"{AUDIT}?{name}="), name, "empty_parameter")


@pytest.mark.parametrize("name", ["after", "limit", "type"])
def test_an_empty_event_feed_parameter_is_400_naming_it(api, stored, name):
    assert_refused(api.get(f"{EVENTS}?{name}="), name, "empty_parameter")


@pytest.mark.parametrize("url", ["/api/v1/api-keys/", "/api/v1/staff-roles/"])
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_an_empty_page_parameter_of_the_access_lists_is_400(clinic_admin, url, name):
    assert_refused(clinic_admin.get(f"{url}?{name}="), name, "empty_parameter")


def test_an_empty_value_among_several_of_a_list_filter_is_refused(api, stored):
    response = api.get(f"{INTAKES}?disposition=home_care&disposition=")

    assert_refused(response, "disposition", "empty_parameter")


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        (INTAKES, "submitted_on", "25/11/2026"),  # the locale's form, which Django also reads
        (INTAKES, "submitted_on", "2026-11-5"),
        (REFERRALS, "created_on", "2026-1-05"),
        (REFERRALS, "created_before", " 2026-11-25T10:00:00Z"),
        (INTAKES, "submitted_after", "2026-11-25T10:00:00Z "),
    ],
)
def test_a_date_parameter_is_yyyy_mm_dd_taken_as_sent(api, stored, url, name, value):
    response = api.get(url, {name: value})

    assert_refused(response, name, "invalid")


@pytest.mark.parametrize("name", ["actor", "action"])
def test_a_text_filter_of_spaces_is_matched_as_sent_not_dropped(clinic_admin, name):
    clinic_admin.get("/api/v1/staff-roles/")  # something in the audit trail

    response = clinic_admin.get(AUDIT, {name: " "})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_an_invalid_outcome_filter_is_refused_without_repeating_it(clinic_admin):
    response = clinic_admin.get(AUDIT, {"outcome": MARKER})

    assert_refused(response, "outcome", "invalid_choice")
    assert MARKER not in response.content.decode()


# Repeated parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query"),
    [
        (EVENTS, "limit=5&limit=6"),
        (EVENTS, "after=0&after=0"),
        (INTAKES, "page=1&page=1"),
        (INTAKES, "page_size=5&page_size=6"),
        (INTAKES, "red_flags=true&red_flags=false"),
        (INTAKES, "submitted_on=2026-11-25&submitted_on=2026-11-26"),
        (REFERRALS, "overdue=true&overdue=true"),
    ],
)
def test_a_parameter_that_is_not_a_list_sent_twice_is_400_naming_it(api, stored, url, query):
    name = query.split("=")[0]

    assert_refused(api.get(f"{url}?{query}"), name, "repeated_parameter")


def test_a_patient_filter_sent_twice_is_refused_not_read_as_the_last(api, stored):
    response = api.get(f"{INTAKES}?patient={uuid.uuid4()}&patient={stored['patient']['id']}")

    assert_refused(response, "patient", "repeated_parameter")


def test_the_multi_choice_filters_stay_repeatable(api, stored):
    response = api.get(f"{INTAKES}?disposition=home_care&disposition=medical_referral")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [stored["id"]]


@pytest.mark.parametrize("name", ["status", "service", "urgency"])
def test_the_referral_multi_choice_filters_stay_repeatable(api, stored, name):
    values = {"status": ("open", "sent"), "service": ("gp", "rheumatology"),
              "urgency": ("urgent", "routine")}[name]  # fmt: skip

    response = api.get(f"{REFERRALS}?{name}={values[0]}&{name}={values[1]}")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [stored["referral"]["id"]]


# Every operation goes through it ------------------------------------------------------------


def _project_views(patterns=None, prefix: str = "") -> list[tuple[str, type]]:
    """Every (route, DRF view class) of the project's URLconf."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += _project_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if isinstance(view_class, type) and issubclass(view_class, APIView):
                found.append((prefix + str(pattern.pattern), view_class))
    return found


def test_every_api_view_of_the_project_checks_its_query_parameters():
    views = [
        (route, view) for route, view in _project_views()
        if view.__module__.split(".")[0] in PROJECT_APPS
    ]  # fmt: skip

    assert len({view for _, view in views}) >= 12, "the walk found the project's views"
    missing = [f"{route} ({view.__qualname__})" for route, view in views
               if not issubclass(view, StrictQueryMixin)]  # fmt: skip
    assert missing == [], "add StrictQueryMixin (clinic/api/query.py) to these views"


def _schema_operations() -> list[tuple[str, str, object, dict]]:
    """(path, method, view, operation) for every operation of the OpenAPI schema, with the
    view as drf-spectacular instantiated it for that operation (its action set)."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    operations = []
    for path, _path_regex, method, view in generator._get_paths_and_endpoints():
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is not None:  # not the docs pages and the schema itself
            operations.append((path, method.lower(), view, operation))
    return operations


def test_the_schema_documents_exactly_the_query_parameters_each_operation_takes(db):
    operations = _schema_operations()
    assert len(operations) >= 20

    for path, method, view, operation in operations:
        documented = {
            parameter["name"]: parameter for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        }  # fmt: skip
        taken = view.query_parameters()
        where = f"{method.upper()} {path}"
        assert set(documented) == set(taken), where
        for name, repeatable in taken.items():
            schema = documented[name]["schema"]
            assert (schema["type"] == "array") == repeatable, f"{where} {name}"
            if schema["type"] == "string":
                assert schema.get("minLength", 0) >= 1, f"{where} {name} may not be empty"


@pytest.fixture
def superuser(db) -> APIClient:
    user = get_user_model().objects.create_superuser("root", password="not-used")
    client = APIClient()
    client.force_login(user)
    return client


def test_every_operation_of_the_schema_refuses_an_unknown_parameter(
    db, api, stored, superuser, clinician
):
    prefix = api_key_create(branch_slug="north", name="spare")[0].prefix
    # A signed link's token: any well-formed one is refused for its query before it is looked up.
    ids = {"{id}": stored["id"], "{prefix}": prefix, "{token}": "A" * 43, "{version}": "2026.2"}
    safety_officer = staff_client("so.north", "north", "safety_officer")
    operations = _schema_operations()

    refused = set()
    for path, method, _view, _operation in operations:
        url = path
        for placeholder, value in ids.items():
            url = url.replace(placeholder, str(value))
        if path.startswith("/api/v1/staff-roles/{id}"):
            url = path.replace("{id}", "1")
        if path.startswith("/api/v1/patients/{id}"):
            url = path.replace("{id}", stored["patient"]["id"])
        if path.startswith("/api/v1/referrals/{id}"):
            url = path.replace("{id}", stored["referral"]["id"])
        client = clinician if path.endswith("/review/") else superuser
        if path.startswith(("/api/v1/replays/", "/api/v1/webhooks/{id}")):
            url = path.replace("{id}", str(uuid.uuid4()))  # refused for its query before lookup
        if path.startswith("/api/v1/webhooks/deliveries/"):
            url = path.replace("{id}", "1")  # deliveries are numbered
        if path.endswith("/activations/") and method == "post":
            client = safety_officer  # the only role that may, checked before the query
        response = getattr(client, method)(f"{url}?not_a_parameter=1", format="json")
        assert response.status_code == 400, f"{method.upper()} {path}: {response.status_code}"
        assert codes_by_field(response) == {"not_a_parameter": "unknown_parameter"}, path
        refused.add((path, method))

    assert len(refused) == len(operations)
