"""The worklist and the admin lists answer in a fixed number of SQL statements, however many
rows they show: no query per row for the red flags, the reason or the moves.

The counts are committed in tests/query_counts.json (`make query-counts` regenerates it)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import Referral
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from tests.query_counts import counted_queries, expected_queries

DASHBOARD = "/admin/dashboard/"


def _seed(api, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        post_json(api, INTAKES, intake_body(external_id=f"EM-{i}", trauma="major"))
        post_json(api, INTAKES, intake_body(external_id=f"CB-{i}", fever="unknown"))
        post_json(api, INTAKES, intake_body(external_id=f"HC-{i}"))


def _count(name: str, call) -> int:
    with counted_queries(name) as captured:
        response = call()
    assert response.status_code < 400
    return len(captured)


@pytest.mark.parametrize(
    ("name", "url", "headers"),
    [
        ("dashboard.page", DASHBOARD, {}),
        ("dashboard.worklist_refresh", DASHBOARD, {"HTTP_HX_REQUEST": "true"}),
        ("admin.intake_list.page", "/admin/triage/intake/", {}),
        ("admin.referral_list.page", "/admin/referrals/referral/", {}),
    ],
)
def test_a_page_of_any_size_takes_the_same_queries(api, clinician, name, url, headers):
    _seed(api, 1)
    # The day's first dashboard keeps the settled days' figures (one statement more, below).
    clinician.get(url, **headers)
    small = _count(name, lambda: clinician.get(url, **headers))
    _seed(api, 8, start=1)
    large = _count(name, lambda: clinician.get(url, **headers))

    assert small == large == expected_queries(name)


def test_the_first_dashboard_of_a_day_keeps_its_settled_days_in_one_statement(api, clinician):
    _seed(api, 1)
    with CaptureQueriesContext(connection) as first:
        clinician.get(DASHBOARD)
    with CaptureQueriesContext(connection) as again:
        clinician.get(DASHBOARD)

    assert len(first) == len(again) + 1


def test_a_move_from_the_worklist_takes_a_fixed_number_of_queries(api, clinician):
    _seed(api, 1)
    referral = Referral.objects.get(patient__external_id="EM-0")

    moved = _count(
        "dashboard.worklist_move",
        lambda: clinician.post(
            f"/admin/dashboard/referrals/{referral.pk}/move/",
            {"to": "sent", "version": str(referral.version), "next": DASHBOARD},
        ),
    )

    assert moved == expected_queries("dashboard.worklist_move")
