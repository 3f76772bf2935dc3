"""The list's items are the intakes' own bodies: `GET /api/v1/intakes/` shows each intake
exactly as `GET /api/v1/intakes/{id}/` does, for every kind of caller, whatever happened to
the intake since (reviews, referrals opened, amended, cancelled). The list builds its items
from columns, not through the detail's serializer (triage.api.serializers.IntakeListItems),
so this is what keeps the two one shape."""

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.models import StaffRole
from tests.api.helpers import INTAKES, post_json
from tests.conftest import branch_on, staff_client
from tests.reviews.helpers import EMERGENCY, PHYSIOTHERAPY, URGENT_GP, create_intake, review_url

# A reason no ASCII-only writer would pass through untouched: accents, a line separator
# (which the API escapes, as DRF always did) and a quote.
ODD_REASON = 'Révisé: "douleur" \u2028 ligne 2 — ok'


@pytest.fixture
def history(api, other_api, clinician):
    """Intakes in both branches, in every state a list shows."""
    create_intake(api, "HOME-1")
    physio = create_intake(api, "PHYSIO-1", **PHYSIOTHERAPY)
    urgent = create_intake(api, "GP-1", **URGENT_GP)
    create_intake(api, "ED-1", **EMERGENCY)
    confirmed = create_intake(api, "CONFIRM-1", **PHYSIOTHERAPY)
    create_intake(other_api, "SOUTH-1", **URGENT_GP)
    create_intake(other_api, "SOUTH-2")

    def review(intake: dict, **decision: str) -> None:
        body = {"reason": ODD_REASON, **decision}
        response = post_json(clinician, review_url(intake["id"]), body)
        assert response.status_code == 201, response.content

    # Overridden down to home care: the referral is cancelled, and stays the latest.
    review(physio, disposition="home_care", urgency="routine", service="self_care")
    # Overridden up: the referral is amended; then reviewed again, so the latest one counts.
    to_ed = {"urgency": "emergency", "service": "emergency_department"}
    review(urgent, disposition="medical_referral", **to_ed)
    review(urgent, disposition="medical_referral", urgency="urgent", service="gp")
    a = confirmed["assessment"]
    review(confirmed, disposition=a["disposition"], urgency=a["urgency"], service=a["service"])


def _both_branches_staff():
    """A clinician in north who only works the desk in south: answers in one branch only."""
    client = staff_client("dr.both", "north", "clinician")
    user = get_user_model().objects.get(username="dr.both")
    StaffRole.objects.create(user=user, branch=branch_on("south"), role="reception")
    return client


@pytest.mark.parametrize("who", ["api", "receptionist", "clinician", "both_branches"])
def test_every_listed_intake_is_exactly_its_own_body(request, history, who):
    client = _both_branches_staff() if who == "both_branches" else request.getfixturevalue(who)

    listed = client.get(INTAKES, {"page_size": 100})

    assert listed.status_code == 200
    items = listed.json()["results"]
    assert len(items) == listed.json()["count"] == (7 if who == "both_branches" else 5)
    for item in items:
        assert item == client.get(f"{INTAKES}{item['id']}/").json()
    assert any(item["review"] for item in items)
    assert {item["referral"]["status"] for item in items if item["referral"]} >= {"cancelled"}


def test_the_answers_are_listed_only_where_the_caller_may_see_them(history):
    items = _both_branches_staff().get(INTAKES, {"page_size": 100}).json()["results"]

    with_answers = {item["patient"]["external_id"] for item in items if "answers" in item}

    assert with_answers == {"HOME-1", "PHYSIO-1", "GP-1", "ED-1", "CONFIRM-1"}


def test_a_line_separator_goes_out_escaped_as_in_any_drf_response(history, clinician):
    body = clinician.get(INTAKES).content

    assert "\u2028".encode() not in body
    assert b"\\u2028" in body
    reviews = [item["review"] for item in clinician.get(INTAKES).json()["results"]]
    assert ODD_REASON in {review["reason"] for review in reviews if review}


def test_an_indented_list_is_the_same_list(history, clinician):
    compact = clinician.get(INTAKES)
    indented = clinician.get(INTAKES, HTTP_ACCEPT="application/json; indent=2")

    assert indented.status_code == 200
    assert b'\n  "count"' in indented.content
    assert indented.json() == compact.json()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page_size=st.integers(min_value=1, max_value=9))
def test_every_page_counts_the_whole_list_and_the_pages_hold_it_once(history, api, page_size):
    seen, pages, url = [], [], f"{INTAKES}?page_size={page_size}"
    while url:
        page = api.get(url).json()
        pages.append(page)
        seen.extend(item["id"] for item in page["results"])
        url = page["next"]

    assert {page["count"] for page in pages} == {5}
    assert len(seen) == len(set(seen)) == 5
    assert len(pages) == -(-5 // page_size)
    past_the_end = api.get(INTAKES, {"page_size": page_size, "page": len(pages) + 1})
    assert past_the_end.status_code == 400
