"""SQL queries per request stay fixed: one intake POST, and a list page of any size."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body


def _feed_lock() -> int:
    # On PostgreSQL the change feed's events are written under its advisory lock (one query).
    return 1 if connection.vendor == "postgresql" else 0


# Counted inside the test's own transaction, so the service's transaction shows as a savepoint
# and its release (in production they are BEGIN and COMMIT, which are not counted):
# key lookup; savepoint; patient insert-or-keep; patient select; intake insert; assessment
# insert; the events, all in one insert; release; then the audit event and the patient it
# concerns. A known patient costs the same as a new one.
AUDIT = 2
HOME_CARE_NEW_PATIENT = 8 + _feed_lock() + AUDIT
HOME_CARE_KNOWN_PATIENT = HOME_CARE_NEW_PATIENT
# A referral adds its insert and its first history entry; its event joins the others' insert.
REFERRAL_KNOWN_PATIENT = HOME_CARE_KNOWN_PATIENT + 2
# Key lookup, count, one page with patient and assessment joined, referrals, reviews; the audit
# event and (one insert) every patient on the page.
LIST_PAGE_QUERIES = 5 + AUDIT


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code < 300, response.json()
    return len(captured)


def test_intake_post_uses_a_fixed_number_of_queries(api):
    new_patient = _queries(lambda: post_json(api, INTAKES, intake_body(external_id="Q1")))
    known_patient = _queries(lambda: post_json(api, INTAKES, intake_body(external_id="Q1")))
    with_referral = _queries(
        lambda: post_json(api, INTAKES, intake_body(external_id="Q1", trauma="major"))
    )

    assert new_patient == HOME_CARE_NEW_PATIENT
    assert known_patient == HOME_CARE_KNOWN_PATIENT
    assert with_referral == REFERRAL_KNOWN_PATIENT


def test_list_page_queries_do_not_grow_with_page_size(api):
    for i in range(30):
        post_json(
            api, INTAKES, intake_body(external_id=f"L{i}", trauma="major" if i % 2 else "none")
        )

    small = _queries(lambda: api.get(INTAKES, {"page_size": 2}))
    large = _queries(lambda: api.get(INTAKES, {"page_size": 30}))

    assert small == large == LIST_PAGE_QUERIES
