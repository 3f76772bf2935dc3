"""The review dashboard: the worklist, the figures, branch scoping and a fixed query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.rulesets.helpers import activate, finished_replay, officer

DASHBOARD = "/admin/dashboard/"


@pytest.fixture
def north_clinician_browser(db):
    return staff_client("dr.dash", "north", "clinician")


def _seed(api, n: int = 1, start: int = 0) -> None:
    for i in range(start, start + n):
        post_json(api, INTAKES, intake_body(external_id=f"EM-{i}", trauma="major"))
        post_json(api, INTAKES, intake_body(external_id=f"CB-{i}", fever="unknown"))
        post_json(api, INTAKES, intake_body(external_id=f"HC-{i}"))


def test_the_worklist_shows_what_needs_a_person_now(api, north_clinician_browser):
    _seed(api)

    page = north_clinician_browser.get(DASHBOARD)

    html = page.content.decode()
    assert page.status_code == 200
    assert "EM-0" in html  # an emergency referral not yet sent
    assert "CB-0" in html  # an unanswered red flag waiting for a call-back
    assert "/admin/referrals/referral/" in html  # each row links to its record
    assert "<svg" in html
    assert "Decisions per day by disposition" in html


def test_another_branchs_patients_never_show(api, north_clinician_browser, db):
    south = key_client("south")
    post_json(south, INTAKES, intake_body(external_id="SOUTH-SECRET", trauma="major"))

    html = north_clinician_browser.get(DASHBOARD).content.decode()

    assert "SOUTH-SECRET" not in html


def test_the_admin_index_links_to_the_dashboard(north_clinician_browser):
    assert DASHBOARD in north_clinician_browser.get("/admin/").content.decode()


def test_people_who_are_not_signed_in_are_sent_to_sign_in(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_dashboard_query_count_does_not_grow_with_the_data(api, north_clinician_browser):
    _seed(api, 1)
    with CaptureQueriesContext(connection) as small:
        north_clinician_browser.get(DASHBOARD)
    _seed(api, 5, start=1)
    with CaptureQueriesContext(connection) as large:
        north_clinician_browser.get(DASHBOARD)

    assert len(small) == len(large)


def test_the_dashboard_shows_each_branch_s_ruleset_and_any_pending_activation(
    api, north_clinician_browser
):
    later = timezone.localtime() + timedelta(days=3)
    # A replay as the replay worker leaves one (tests/rulesets/helpers.py).
    response = activate(officer("so.dash"), "2026.2", finished_replay("north"),
                        effective_from=later.isoformat())  # fmt: skip
    assert response.status_code == 201, response.content

    html = north_clinician_browser.get(DASHBOARD).content.decode()

    rulesets = html[html.index('id="rulesets"') :]
    assert "<td>North</td>" in rulesets
    assert "2026.1, since" in rulesets
    assert f"2026.2 from {later:%-d %b %Y, %H:%M}" in rulesets
    assert "activated by so.dash" in rulesets
