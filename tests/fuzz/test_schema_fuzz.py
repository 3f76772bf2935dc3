"""Schema-driven fuzzing with schemathesis: every operation of the OpenAPI schema, called in
process through the WSGI application on the test database, with positive and negative data and
all the default checks: no server error, only documented status codes, content types, headers
and bodies as the schema says, schema-valid requests accepted and schema-violating ones
refused, credentials enforced. Then chains of calls along the links schemathesis infers
between operations (an intake's id from POST /intakes/ into its review, care plan...).

FUZZ_EXAMPLES (tests/fuzz/api_schema.py) sets how many examples each operation gets.
"""

from urllib.parse import unquote, urlsplit

import pytest
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, seed, settings

from tests.fuzz import world as w
from tests.fuzz.api_schema import (
    CURRENT,
    FUZZ_EXAMPLES,
    FUZZ_SEED,
    anonymous_schema,
    needs_credentials,
    schema,
)
from tests.in_process import in_process_requests


@pytest.fixture
def fuzz_settings(db, settings):
    # The fuzzer sends far more requests than a reception desk: no 429 to mask the answers
    # (test_found_bugs.py checks that the 429 itself is documented).
    settings.THROTTLE_RATES = {"caller": "1000000/min", "anonymous": "1000000/min"}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # quick setup


@pytest.fixture
def world(fuzz_settings):
    CURRENT["world"] = w.build_world()  # (with Django's test client: before the disconnect)
    try:
        with in_process_requests():
            yield CURRENT["world"]
    finally:
        CURRENT.clear()


@pytest.fixture
def no_world(fuzz_settings):
    with in_process_requests():
        yield


# The database and the world are per test (one operation), shared by its examples on purpose.
ONE_WORLD_PER_OPERATION = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@schema.parametrize()
@ONE_WORLD_PER_OPERATION
def test_operation(case, world):
    world.restore()
    case.call_and_validate()


@anonymous_schema.parametrize()
@settings(
    max_examples=3,
    phases=[Phase.generate],  # a few generated examples, not the coverage phase again
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_operation_without_credentials(case, no_world):
    """No credentials, or made-up ones: a documented 401 from every operation that needs them."""
    response = case.call_and_validate()
    if needs_credentials(case.operation):
        # A path no route matches (a made-up key prefix with a dot) is a 404 before any view.
        path = unquote(urlsplit(response.request.url).path)
        assert response.status_code == 401 or (response.status_code == 404 and not _routed(path))


def _routed(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@seed(FUZZ_SEED)
class Workflow(schema.as_state_machine()):
    """Calls chained along the links schemathesis infers from the schema: the ids a response
    gives (an intake, its patient, its referral, a key's prefix) go into the next call."""

    def before_call(self, case):
        CURRENT["world"].restore()


def test_stateful_workflow(world):
    Workflow.run(
        settings=settings(
            max_examples=FUZZ_EXAMPLES,
            stateful_step_count=6,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
