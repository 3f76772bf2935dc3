"""SQL queries per request stay fixed: one intake POST, and a list page of any size.

The counts are committed in tests/query_counts.json (`make query-counts` regenerates it)."""

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from tests.query_counts import counted_queries, expected_queries

# Counted inside the test's own transaction, so the request's transaction shows as a
# savepoint and its release (in production they are BEGIN and COMMIT, which are not
# counted): key lookup (not on Redis, where a process reads a key once and then remembers
# it until a key or a branch changes: clinic/access_epoch.py; so the key has been used
# once before anything is counted, as it has for all but the first of a desk's requests);
# savepoint (the request: change, response and audit record together);
# patient insert-or-keep; patient select; the branch's active ruleset version (one indexed
# read); intake insert; assessment insert; the audit event and the patient it concerns; the
# events, all in one insert; the webhook deliveries they fan out to (one INSERT ... SELECT);
# release. On PostgreSQL the patient's insert-or-keep and select are one statement, and the
# writes nothing reads back (intake, assessment, stored response, audit record) go with the
# events, the feed's lock and the deliveries in one round trip (clinic.held_writes). A known
# patient costs the same as a new one.
# A referral adds its insert and its first history entry (on PostgreSQL, in that same round
# trip); its event joins the others' insert.
# A list page: key lookup (not on Redis), one page with patient and assessment joined (and
# each intake's latest referral, whether it has reviews, and the list's count), the reviews of
# those that have some (here none: no query); the audit event and every patient on the page
# (one statement on PostgreSQL, two elsewhere).


def _queries(name: str, call) -> int:
    with counted_queries(name) as captured:
        response = call()
    assert response.status_code < 300, response.json()
    return len(captured)


def test_intake_post_uses_a_fixed_number_of_queries(api):
    assert api.get("/api/v1/questionnaire/").status_code == 200  # the key's first request
    new_patient = _queries(
        "intake_post.home_care.new_patient",
        lambda: post_json(api, INTAKES, intake_body(external_id="Q1")),
    )
    known_patient = _queries(
        "intake_post.home_care.known_patient",
        lambda: post_json(api, INTAKES, intake_body(external_id="Q1")),
    )
    with_referral = _queries(
        "intake_post.referral.known_patient",
        lambda: post_json(api, INTAKES, intake_body(external_id="Q1", trauma="major")),
    )

    assert new_patient == expected_queries("intake_post.home_care.new_patient")
    assert known_patient == expected_queries("intake_post.home_care.known_patient")
    assert with_referral == expected_queries("intake_post.referral.known_patient")


def test_list_page_queries_do_not_grow_with_page_size(api):
    for i in range(30):
        post_json(
            api, INTAKES, intake_body(external_id=f"L{i}", trauma="major" if i % 2 else "none")
        )

    small = _queries("intake_list.page", lambda: api.get(INTAKES, {"page_size": 2}))
    large = _queries("intake_list.page", lambda: api.get(INTAKES, {"page_size": 30}))

    assert small == large == expected_queries("intake_list.page")
