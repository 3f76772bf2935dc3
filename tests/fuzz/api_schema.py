"""The OpenAPI schema under test, loaded from the application itself, and what the fuzzer adds
to it: the credentials each operation is called with, hooks that aim generated requests at
seeded data, and the list of refusals that are not failures."""

import os
import secrets
from datetime import timedelta

import schemathesis
from django.utils import timezone
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData

from clinic.wsgi import application
from tests.fuzz import world as w

# Generated examples per operation in the fuzzing phase (the examples and coverage phases add
# a fixed set of their own), and scenarios in the stateful test. Small for `make test`;
# `make fuzz` sets more.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# The same seed draws the same requests. By default a fixed one, so that the bounded run of
# `make test` is repeatable; FUZZ_SEED=random draws new ones each run (`make fuzz`). The seed
# is printed at the end of the run: FUZZ_SEED=<it> repeats the run.
_SEED = os.environ.get("FUZZ_SEED", "20261125")
FUZZ_SEED = secrets.randbelow(2**32) if _SEED == "random" else int(_SEED)

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": FUZZ_SEED,
        # Positive and negative data, and every built-in check (`--checks all`: also the
        # schemathesis default, said here so that no default can quietly change it), among
        # them not_a_server_error, status_code_conformance, content_type_conformance,
        # response_schema_conformance, response_headers_conformance, positive_data_acceptance,
        # negative_data_rejection, missing_required_header, ignored_auth, unsupported_method
        # and, in the stateful test, use_after_free and ensure_resource_availability. The only
        # exceptions are the listed refusals that `filter_failure` below drops, each with its
        # reason.
        "checks": {"enabled": True},
        "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES},
    }
)


def _load() -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


schema = _load()  # called with the credentials below
anonymous_schema = _load()  # called without any

# The world of the running test (made by the tests' `world` fixture), for the hooks below.
CURRENT: dict[str, w.World] = {}


# --- Credentials ----------------------------------------------------------------------------

ADMIN_PATHS = ("/api/v1/api-keys/", "/api/v1/staff-roles/", "/api/v1/audit-events/")


def needs_credentials(operation) -> bool:
    return bool(operation.definition.raw.get("security"))  # all but /healthz, /auth/tokens/


@schema.auth(refresh_interval=None)  # the credentials are fixed strings: nothing to refresh
class Credentials:
    """Each operation is called with a credential allowed to use it, so that the fuzzer
    reaches the code behind the permission checks, not only their 403s."""

    def get(self, case, context):
        path = case.operation.path
        if not needs_credentials(case.operation):
            return None
        if path.startswith(ADMIN_PATHS):
            return f"Token {w.ADMIN_TOKEN}"  # a clinic admin: keys, roles, audit trail
        if path.endswith("/review/"):
            return f"Token {w.CLINICIAN_TOKEN}"  # only clinicians review
        if path == "/api/v1/auth/tokens/current/":
            return f"Token {w.SCRIPT_TOKEN}"  # revokes the token it is called with
        return f"Api-Key {w.API_KEY}"  # a reception system: everything else

    def set(self, case, data, context):
        case.headers["Authorization"] = data


# --- Aiming at what exists ------------------------------------------------------------------


def _existing(world: w.World, path: str) -> list[dict]:
    """Path parameters naming seeded objects of the operation's kind."""
    if path.startswith("/api/v1/intakes/{id}"):
        return [{"id": value} for value in world.intake_ids]
    if path.startswith("/api/v1/referrals/{id}"):
        return [{"id": value} for value in world.referral_ids]
    if path.startswith("/api/v1/patients/{id}"):
        return [{"id": value} for value in world.patient_ids]
    if path.startswith("/api/v1/api-keys/{prefix}"):
        return [{"prefix": value} for value in world.key_prefixes]
    if path.startswith("/api/v1/staff-roles/{id}"):
        return [{"id": value} for value in world.staff_role_ids]
    return []


def _birth_dates() -> st.SearchStrategy[str]:
    # The schema says `format: date`; the service also wants it within the last 130 years and
    # not in the future, which OpenAPI 3.0 cannot state (it is relative to today).
    today = timezone.localdate()
    oldest = today - timedelta(days=365 * 130 - 40)
    return st.dates(min_value=oldest, max_value=today).map(lambda day: day.isoformat())


def _expiry_dates() -> st.SearchStrategy[str]:
    # A key's expiry must be in the future: relative to now, again.
    soon = timezone.now() + timedelta(hours=1)
    later = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365 * 50))
    return later.map(lambda delta: (soon + delta).isoformat())


def _positive_body(case) -> st.SearchStrategy[dict] | None:
    """Changes to a schema-valid body so that it also passes the rules that depend on stored
    data or on today's date, and the request gets past validation into the code behind it."""
    body = case.body
    if not isinstance(body, dict):
        return None
    path = case.operation.path
    if isinstance(body.get("patient"), dict) and "date_of_birth" in body["patient"]:
        return _birth_dates().map(
            lambda day: {**body, "patient": {**body["patient"], "date_of_birth": day}}
        )
    if path in ("/api/v1/api-keys/", "/api/v1/staff-roles/"):

        def valid(pair):
            branch, expiry = pair
            changed = {key: value for key, value in body.items() if key != "branch"}
            if "branch" in body and branch is not None:
                changed["branch"] = branch  # one the caller administers, or none (its only one)
            if body.get("expiry_date") is not None:
                changed["expiry_date"] = expiry
            return changed

        return st.tuples(st.sampled_from([w.BRANCH, None]), _expiry_dates()).map(valid)
    if path == "/api/v1/auth/tokens/":
        # Mostly any credentials (400), sometimes the right ones (201).
        right = {"username": w.SCRIPT_USER, "password": w.SCRIPT_PASSWORD}
        return st.sampled_from([body, right])
    return None


@schema.hook
def flatmap_case(context, case):
    """Aim at what exists: seeded intakes, referrals, patients, keys and staff roles as path
    parameters (as well as made-up ones), and schema-valid bodies that also pass the rules the
    schema cannot state. Only parts generated as valid are changed: a negative case keeps
    the invalid part it was made to test."""
    world = CURRENT.get("world")
    meta = case.meta
    if world is None or meta is None:  # collecting the tests: nothing exists yet
        return st.just(case)
    strategy = st.just(case)
    existing = _existing(world, case.operation.path)
    if existing and not meta.is_negative_at(ParameterLocation.PATH):

        def aim(ids):
            if ids is not None:
                case.path_parameters = {**case.path_parameters, **ids}
            return case

        strategy = st.one_of(st.just(None), st.sampled_from(existing)).map(aim)
    if ParameterLocation.BODY in meta.components and not meta.is_negative_at(
        ParameterLocation.BODY
    ):
        bodies = _positive_body(case)
        if bodies is not None:

            def with_body(pair):
                aimed, body = pair
                aimed.body = body
                return aimed

            strategy = st.tuples(strategy, bodies).map(with_body)
    return strategy


# --- What the checks may not count as failures ----------------------------------------------

# A schema-valid request that the service refuses for a reason the schema cannot state:
# it depends on stored data, on earlier requests or on the clock, or it is a rule across
# fields. Under each status, the (field named in the error or "*" for any, error code) pairs it
# may come with, all answers the service documents.
ACCEPTED_REJECTIONS: dict[int, set[tuple[str, str]]] = {
    400: {
        # A page past the last one: how many pages there are depends on the stored rows.
        ("page", "invalid_page"),
        # A change-feed cursor of the right form that the feed never gave this caller: which
        # events exist, and which the caller sees, is stored data.
        ("after", "unknown_cursor"),
        # A branch the caller does not administer: who administers what is stored data.
        ("branch", "invalid"),
        # POST /auth/tokens/ with a user name and password that do not match a staff member.
        ("password", "invalid"),
        # Dates relative to today: a birth date in the future or more than 130 years ago, a key
        # expiry in the past (the hooks above mostly send valid ones; the coverage phase does
        # not).
        ("patient.date_of_birth", "future"),
        ("patient.date_of_birth", "too_old"),
        ("expiry_date", "past"),
        # Cross-field rules of a clinician's decision (the service and urgency must fit the
        # disposition, imaging only with a referral...), which OpenAPI 3.0 cannot state per
        # field.
        *((field, "invalid") for field in ("service", "urgency", "imaging", "reason")),
        # Cancelling a referral needs a note (documented with the operation; a rule across
        # fields).
        ("note", "required"),
        # A text of nothing but whitespace is blank: DRF trims the text fields that have no
        # pattern before checking them, which `minLength: 1` does not say.
        ("*", "blank"),
        # No text field takes a NUL character (DRF refuses them everywhere); saying so on every
        # string of the schema would only clutter it. The fuzzer keeps sending them, as they
        # are what breaks a PostgreSQL query when one gets through.
        ("*", "null_characters_not_allowed"),
    },
    # An Idempotency-Key that an earlier example already used with another body.
    422: {("Idempotency-Key", "idempotency_key_reused")},
    # An If-Match that is not the referral's current ETag.
    412: {("If-Match", "precondition_failed")},
}


def _accepted_rejection(response) -> bool:
    try:
        errors = [(e["field"], e["code"]) for e in response.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        return False
    accepted = ACCEPTED_REJECTIONS.get(response.status_code, set())
    return bool(errors) and all(
        (field, code) in accepted or ("*", code) in accepted for field, code in errors
    )


def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but the refusals listed above. (Schema-violating requests are all
    refused: empty and repeated query parameters too, since clinic/api/query.py.)"""
    if isinstance(failure, RejectedPositiveData):
        return not _accepted_rejection(response)
    return True


schema.hook(filter_failure)
anonymous_schema.hook(filter_failure)
