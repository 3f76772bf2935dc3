"""SQL queries per request stay fixed: one intake POST, and a list page of any size."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body

# Counted inside the test's own transaction, so the service's transaction shows as a savepoint
# and its release (in production they are BEGIN and COMMIT, which are not counted):
# key lookup; savepoint; patient select; [savepoint, insert, release: only for a new patient];
# intake insert; assessment insert; release.
INTAKE_POST_QUERIES_NEW_PATIENT = 9
INTAKE_POST_QUERIES_KNOWN_PATIENT = 6
# Key lookup, count, one page with patient and assessment joined.
LIST_PAGE_QUERIES = 3


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code < 300, response.json()
    return len(captured)


def test_intake_post_uses_a_fixed_number_of_queries(api):
    new_patient = _queries(lambda: post_json(api, INTAKES, intake_body(external_id="Q1")))
    known_patient = _queries(lambda: post_json(api, INTAKES, intake_body(external_id="Q1")))

    assert new_patient == INTAKE_POST_QUERIES_NEW_PATIENT
    assert known_patient == INTAKE_POST_QUERIES_KNOWN_PATIENT


def test_list_page_queries_do_not_grow_with_page_size(api):
    for i in range(30):
        post_json(api, INTAKES, intake_body(external_id=f"L{i}"))

    small = _queries(lambda: api.get(INTAKES, {"page_size": 2}))
    large = _queries(lambda: api.get(INTAKES, {"page_size": 30}))

    assert small == large == LIST_PAGE_QUERIES
