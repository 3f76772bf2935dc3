"""The dashboard's decisions per day are the assessments counted directly, whatever it kept.

Settled days are counted once and kept (triage.decision_days); these tests move the clock
across local midnights (and a change of the clocks), add intakes before and after the
dashboard has been opened, some stamped just before a midnight that has already passed (a
transaction committing late), and some from a test key, and compare every day's figures on
the page with a count of the assessments themselves."""

import re
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from clinic.models import Branch
from clinic.services import api_key_issue
from tests.admin.helpers import page
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.referrals.helpers import frozen_now
from tests.reviews.helpers import EMERGENCY, PHYSIOTHERAPY, URGENT_GP
from triage.engine.vocabulary import DISPOSITION_RANK, URGENCY_RANK
from triage.models import Assessment, DecisionDay, Review

DASHBOARD = "/admin/dashboard/"
ZONE = ZoneInfo(settings.TIME_ZONE)
ANSWERS = [{}, PHYSIOTHERAPY, URGENT_GP, EMERGENCY]
BAR = re.compile(r"<title>(\d{4}-\d\d-\d\d): (\d+) ([a-z ]+)</title>")
CHANGED = re.compile(
    r"(\d+) of (\d+) decisions changed by a clinician \((\d+) reviews in all\)"
    r".*?Raised: (\d+) · lowered: (\d+) · changed service only: (\d+)",
    re.S,
)
# A review of each kind: (disposition, urgency, service) given.
RAISE = ("physiotherapy", "routine", "physiotherapy")
LOWER = ("home_care", "routine", "self_care")


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZONE, fold=fold)


def shown(client, now: datetime, period: str = "30") -> dict:
    """{(day, disposition): n} as the page's chart draws them, and its review figures
    ("changed", "decisions", "reviews", "raised", "lowered", "sideways"), the clock at `now`."""
    with frozen_now(now):
        html = page(client, DASHBOARD, period=period)
    figures: dict = {(day, name.replace(" ", "_")): int(n) for day, n, name in BAR.findall(html)}
    (found,) = CHANGED.findall(html)
    names = ("changed", "decisions", "reviews", "raised", "lowered", "sideways")
    figures.update(zip(names, map(int, found), strict=True))
    return figures


def counted(now: datetime, period: int = 30) -> dict:
    """The same, counted from the assessments and reviews (test intakes left out) in Python."""
    today = now.astimezone(ZONE).date()
    first = today - timedelta(days=period - 1)

    def within(moment: datetime) -> bool:
        return first <= moment.astimezone(ZONE).date() <= today

    assessments = [a for a in Assessment.objects.filter(test=False) if within(a.submitted_at)]
    days = Counter((a.submitted_at.astimezone(ZONE).date(), a.disposition) for a in assessments)
    figures: dict = {(d.isoformat(), name): n for (d, name), n in days.items()}
    reviews = [
        r
        for r in Review.objects.filter(intake__test=False).select_related("intake__assessment")
        if within(r.created_at)
    ]
    kinds = Counter()
    for r in reviews:
        if r.overridden:
            a = r.intake.assessment
            after = (DISPOSITION_RANK[r.disposition], URGENCY_RANK[r.urgency])
            before = (DISPOSITION_RANK[a.disposition], URGENCY_RANK[a.urgency])
            kinds["raised" if after > before else "lowered" if after < before else "sideways"] += 1
    figures.update(
        changed=sum(kinds.values()), decisions=len(assessments), reviews=len(reviews),
        raised=kinds["raised"], lowered=kinds["lowered"], sideways=kinds["sideways"],
    )  # fmt: skip
    return figures


def review(dr, intake_id: str, at: datetime, decision: tuple[str, str, str] | None) -> None:
    """A clinician's review at `at`: `decision`, or (None) the assessment's confirmed."""
    if decision is None:
        a = Assessment.objects.get(intake_id=intake_id)
        decision = (a.disposition, a.urgency, a.service)
    disposition, urgency, service = decision
    form = {"disposition": disposition, "urgency": urgency, "service": service,
            "imaging": "", "reason": "Examined."}  # fmt: skip
    before = Review.objects.count()
    with frozen_now(at):
        dr.post(f"/admin/triage/intake/{intake_id}/review/", form)
    assert Review.objects.count() == before + 1


def sandbox_client() -> APIClient:
    """A test key of `north`: its intakes are left out of the figures."""
    _, key = api_key_issue(branch=Branch.objects.get(slug="north"), name="sandbox", test=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


class Desk:
    """Intakes posted with the clock at chosen moments."""

    def __init__(self, api) -> None:
        self.api, self.n = api, 0

    def post(self, at: datetime, answers: dict | None = None, client=None) -> str:
        self.n += 1
        body = intake_body(external_id=f"DAY-{self.n}", **(answers or ANSWERS[self.n % 4]))
        with frozen_now(at):
            response = post_json(client or self.api, INTAKES, body)
        assert response.status_code == 201, response.content
        return response.json()["id"]


@pytest.fixture
def desk(api):
    return Desk(api)


@pytest.fixture
def dr(db):
    return staff_client("dr.days", "north", "clinician")


def test_the_figures_match_a_direct_count_as_days_settle(desk, dr):
    today = date(2026, 10, 20)
    for days_ago, hour, minute in [(10, 10, 0), (3, 23, 59), (2, 0, 0), (1, 23, 30), (0, 0, 10)]:
        desk.post(local(2026, 10, 20 - days_ago, hour, minute))
    sandbox = sandbox_client()
    tested = desk.post(local(2026, 10, 17, 12, 0), EMERGENCY, client=sandbox)
    emergency = desk.post(local(2026, 10, 12, 9, 0), EMERGENCY)
    home = desk.post(local(2026, 10, 12, 9, 5), {})
    review(dr, tested, local(2026, 10, 17, 13, 0), LOWER)
    review(dr, emergency, local(2026, 10, 13, 23, 59), LOWER)
    review(dr, home, local(2026, 10, 14, 0, 0), RAISE)
    review(dr, home, local(2026, 10, 16, 10, 0), None)
    noon = local(2026, 10, 20, 12, 0)

    at_noon = shown(dr, noon)
    assert at_noon == counted(noon)
    assert (at_noon["reviews"], at_noon["raised"], at_noon["lowered"]) == (3, 1, 1)
    # The days before yesterday are kept now; yesterday and today are not.
    kept = set(DecisionDay.objects.values_list("day", flat=True))
    assert max(kept) == today - timedelta(days=2)

    # More today, and one stamped yesterday that committed late: counted all the same.
    review(
        dr, desk.post(local(2026, 10, 20, 12, 30), EMERGENCY), local(2026, 10, 20, 12, 40), LOWER
    )
    review(dr, desk.post(local(2026, 10, 19, 23, 59, 59)), local(2026, 10, 19, 23, 59, 59), RAISE)
    later = local(2026, 10, 20, 13, 0)
    assert shown(dr, later) == counted(later)

    # Just past midnight, then an intake stamped before it that commits after the page.
    past_midnight = local(2026, 10, 21, 0, 0, 1)
    assert shown(dr, past_midnight) == counted(past_midnight)
    review(
        dr, desk.post(local(2026, 10, 20, 23, 59, 59), {}), local(2026, 10, 20, 23, 59, 59), RAISE
    )
    a_minute_later = local(2026, 10, 21, 0, 1)
    assert shown(dr, a_minute_later) == counted(a_minute_later)

    # Across the change of the clocks (25 October 2026, 02:00 BST to 01:00 GMT).
    desk.post(local(2026, 10, 25, 0, 30))
    desk.post(local(2026, 10, 25, 1, 30, fold=1))
    desk.post(local(2026, 10, 25, 23, 59))
    for now in [local(2026, 10, 26, 9, 0), local(2026, 10, 27, 9, 0), local(2026, 10, 30, 9)]:
        assert shown(dr, now) == counted(now)
        assert shown(dr, now, period="90") == counted(now, period=90)
        assert shown(dr, now, period="7") == counted(now, period=7)


def test_kept_figures_are_read_back_rather_than_counted_again(desk, dr):
    desk.post(local(2026, 10, 10, 9, 0))
    now = local(2026, 10, 20, 12, 0)
    shown(dr, now)
    row = DecisionDay.objects.get(day=date(2026, 10, 10))
    assert sum(row.decisions.values()) == 1

    # What is kept is what is shown: (never done by the application) altered, it shows.
    DecisionDay.objects.filter(pk=row.pk).update(decisions={"home_care": 7})

    assert shown(dr, now)[("2026-10-10", "home_care")] == 7


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=36 * 60),  # minutes the clock moves on
            st.lists(st.integers(min_value=0, max_value=3), max_size=3),  # intakes posted
            st.integers(min_value=0, max_value=3),  # minutes their stamps lag (late commits)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_whatever_the_order_of_intakes_and_openings_the_figures_match(db, steps):
    with transaction.atomic():
        desk = Desk(key_client("north"))
        dr = staff_client("dr.prop", "north", "clinician")
        now = local(2026, 10, 23, 22, 0)
        for minutes, answers, lag in steps:
            now += timedelta(minutes=minutes)
            for n in answers:
                desk.post(now - timedelta(minutes=lag), ANSWERS[n])
            assert shown(dr, now, period="7") == counted(now, period=7)
        transaction.set_rollback(True)
