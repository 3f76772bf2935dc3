"""A patient's history (`/api/v1/patients/{id}/history/`) and the change feed (`/api/v1/events/`).

Both are built from the same events: intake.created, assessment.created, referral.opened,
review.created, referral.transitioned and referral.amended. Each branch sees only its own,
and the feed carries coded details only, never a patient's identifiers.
"""

import json

import pytest

from clinic.models import Event
from tests.api.helpers import error_fields
from tests.conftest import staff_client
from tests.reviews.helpers import (
    EVENTS,
    PHYSIOTHERAPY,
    URGENT_GP,
    create_intake,
    history_url,
    review,
    transition,
)

EVENT_FIELDS = {
    "id",
    "type",
    "occurred_at",
    "patient_id",
    "intake_id",
    "referral_id",
    "review_id",
    "data",
}


def get_history(client, patient_id: str) -> dict:
    response = client.get(history_url(patient_id))
    assert response.status_code == 200, response.content
    return response.json()


def get_feed(client, **params) -> dict:
    response = client.get(EVENTS, params)
    assert response.status_code == 200, response.content
    return response.json()


def read_whole_feed(client, limit: int) -> tuple[list[dict], list[dict]]:
    """Every event, page by page; also, per page, its size, has_more and next_cursor."""
    events, pages, after = [], [], None
    for _ in range(100):
        params = {"limit": limit} if after is None else {"limit": limit, "after": after}
        page = get_feed(client, **params)
        events.extend(page["results"])
        pages.append(
            {
                "count": len(page["results"]),
                "has_more": page["has_more"],
                "next_cursor": page["next_cursor"],
            }
        )
        after = page["next_cursor"]
        if not page["has_more"]:
            return events, pages
    raise AssertionError("the feed never ended")


# Patient history ---------------------------------------------------------------------------


def test_history_lists_the_patients_events_oldest_first_over_two_intakes(api, clinician):
    first = create_intake(api, "MRN-H1", **URGENT_GP)
    patient_id = first["patient"]["id"]
    cancel = review(clinician, first["id"], "home_care", "routine", "self_care").json()
    second = create_intake(api, "MRN-H1", **PHYSIOTHERAPY)
    assert second["patient"]["id"] == patient_id
    amend = review(
        clinician,
        second["id"],
        "physiotherapy",
        "routine",
        "physiotherapy_psychologically_informed",
    ).json()
    create_intake(api, "MRN-OTHER", **URGENT_GP)  # another patient of the same branch

    history = get_history(api, patient_id)

    assert history["patient"]["id"] == patient_id
    assert history["patient"]["external_id"] == "MRN-H1"
    events = history["events"]
    assert [(e["type"], e["intake_id"]) for e in events] == [
        ("intake.created", first["id"]),
        ("assessment.created", first["id"]),
        ("referral.opened", first["id"]),
        ("review.created", first["id"]),
        ("referral.transitioned", first["id"]),
        ("intake.created", second["id"]),
        ("assessment.created", second["id"]),
        ("referral.opened", second["id"]),
        ("review.created", second["id"]),
        ("referral.amended", second["id"]),
    ]
    assert all(set(e) == EVENT_FIELDS for e in events)
    assert all(e["patient_id"] == patient_id for e in events)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
    reviews = {e["review_id"] for e in events if e["type"] == "review.created"}
    assert reviews == {cancel["id"], amend["id"]}
    transitioned = events[4]
    assert transitioned["referral_id"] == first["referral"]["id"]
    assert transitioned["data"] == {"from": "open", "to": "cancelled"}
    amended = events[9]
    assert amended["referral_id"] == second["referral"]["id"]
    assert amended["data"]["service"] == "physiotherapy_psychologically_informed"


def test_history_never_shows_another_patients_events(api):
    mine = create_intake(api, "MRN-H1")
    other = create_intake(api, "MRN-H2", **URGENT_GP)

    events = get_history(api, mine["patient"]["id"])["events"]

    assert [e["type"] for e in events] == ["intake.created", "assessment.created"]
    assert other["id"] not in json.dumps(events)
    assert other["patient"]["id"] not in json.dumps(events)


def test_history_shows_referral_transitions_made_at_reception(api):
    intake = create_intake(api, "MRN-H1", **URGENT_GP)
    transition(api, intake["referral"]["id"], "sent")

    events = get_history(api, intake["patient"]["id"])["events"]

    assert events[-1]["type"] == "referral.transitioned"
    assert events[-1]["data"] == {"from": "open", "to": "sent"}


def test_a_clinician_of_the_branch_may_read_the_history(api, clinician):
    intake = create_intake(api, "MRN-H1")

    history = get_history(clinician, intake["patient"]["id"])

    assert len(history["events"]) == 2


def test_another_branchs_patient_history_is_404(api, other_api):
    intake = create_intake(api, "MRN-H1", **URGENT_GP)
    south_clinician = staff_client("dr.south", "south", "clinician")

    for client in (other_api, south_clinician):
        response = client.get(history_url(intake["patient"]["id"]))
        assert response.status_code == 404
        assert "MRN-H1" not in response.content.decode()


def test_the_history_of_an_unknown_patient_is_404(api):
    response = api.get(history_url("3f0c9d8e-1b2a-4c5d-8e9f-0a1b2c3d4e5f"))

    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_an_anonymous_caller_cannot_read_a_history(api, anonymous):
    intake = create_intake(api, "MRN-H1")

    response = anonymous.get(history_url(intake["patient"]["id"]))

    assert response.status_code == 401
    assert "MRN-H1" not in response.content.decode()


# The change feed ---------------------------------------------------------------------------


def test_the_feed_without_a_cursor_starts_from_the_beginning(api):
    first = create_intake(api, "MRN-F1")
    create_intake(api, "MRN-F2", **URGENT_GP)

    page = get_feed(api)

    stored = list(Event.objects.order_by("id").values_list("id", "type"))
    assert [(e["id"], e["type"]) for e in page["results"]] == stored
    assert page["results"][0]["type"] == "intake.created"
    assert page["results"][0]["intake_id"] == first["id"]
    assert page["has_more"] is False
    assert page["next_cursor"] == str(stored[-1][0])
    assert all(set(e) == EVENT_FIELDS for e in page["results"])


def test_a_cursor_of_zero_is_the_beginning_too(api):
    create_intake(api, "MRN-F1")

    assert get_feed(api, after="0") == get_feed(api)


def test_the_feed_pages_through_every_event_once_with_limit_and_next_cursor(api, clinician):
    for number in range(3):
        intake = create_intake(api, f"MRN-F{number}", **URGENT_GP)
        review(clinician, intake["id"], "home_care", "routine", "self_care")
    total = Event.objects.count()
    assert total == 15

    events, pages = read_whole_feed(api, limit=4)

    ids = [e["id"] for e in events]
    assert ids == list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(set(ids)) == total
    assert [p["count"] for p in pages] == [4, 4, 4, 3]
    assert [p["has_more"] for p in pages] == [True, True, True, False]
    assert [p["next_cursor"] for p in pages] == [str(ids[i]) for i in (3, 7, 11, 14)]


def test_a_page_that_exactly_ends_the_feed_says_there_is_no_more(api):
    create_intake(api, "MRN-F1")
    create_intake(api, "MRN-F2")

    page = get_feed(api, limit=4)

    assert len(page["results"]) == 4
    assert page["has_more"] is False


def test_the_feed_after_the_last_cursor_is_empty_and_keeps_the_cursor(api):
    create_intake(api, "MRN-F1")
    last = get_feed(api)["next_cursor"]

    page = get_feed(api, after=last)

    assert page == {"results": [], "next_cursor": last, "has_more": False}


def test_the_cursor_picks_up_what_happened_after_it(api, clinician):
    intake = create_intake(api, "MRN-F1", **URGENT_GP)
    cursor = get_feed(api)["next_cursor"]

    created = review(clinician, intake["id"], "home_care", "routine", "self_care").json()

    page = get_feed(api, after=cursor)
    assert [e["type"] for e in page["results"]] == ["review.created", "referral.transitioned"]
    assert page["results"][0]["review_id"] == created["id"]
    assert page["results"][0]["data"]["overridden"] is True
    assert int(page["next_cursor"]) > int(cursor)


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "1e3", "0x10", "9999999999999999999"])
def test_an_invalid_cursor_is_400_naming_after(api, after):
    create_intake(api, "MRN-F1")

    response = api.get(EVENTS, {"after": after})

    assert response.status_code == 400, response.content
    assert error_fields(response) == {"after"}


@pytest.mark.parametrize("limit", ["0", "101", "-5", "abc"])
def test_an_invalid_limit_is_400_naming_limit(api, limit):
    response = api.get(EVENTS, {"limit": limit})

    assert response.status_code == 400, response.content
    assert error_fields(response) == {"limit"}


def test_another_branch_sees_none_of_the_branchs_events(api, other_api):
    north = create_intake(api, "MRN-F1", **URGENT_GP)

    assert get_feed(other_api) == {"results": [], "next_cursor": "0", "has_more": False}

    south = create_intake(other_api, "MRN-F1", **URGENT_GP)
    south_events = get_feed(other_api)["results"]
    north_events = get_feed(api)["results"]
    assert {e["intake_id"] for e in south_events} == {south["id"]}
    assert {e["intake_id"] for e in north_events} == {north["id"]}
    assert not {e["id"] for e in south_events} & {e["id"] for e in north_events}


def test_a_clinician_of_another_branch_sees_none_of_the_branchs_events(api):
    create_intake(api, "MRN-F1")
    south_clinician = staff_client("dr.south", "south", "clinician")

    assert get_feed(south_clinician)["results"] == []


def test_the_feed_never_contains_patient_identifiers(api, clinician):
    intake = create_intake(api, "MRN-SECRET-4711", **URGENT_GP)
    date_of_birth = intake["patient"]["date_of_birth"]
    review(clinician, intake["id"], "home_care", "routine", "self_care", reason="Reason-ZQX-0042")

    response = api.get(EVENTS)

    text = response.content.decode()
    assert len(response.json()["results"]) == 5
    assert "MRN-SECRET-4711" not in text
    assert date_of_birth not in text
    assert date_of_birth.replace("-", "") not in text
    # Free text (the review's reason, the cancellation note) stays out of the feed as well.
    assert "Reason-ZQX-0042" not in text


def test_an_anonymous_caller_cannot_read_the_feed(api, anonymous):
    create_intake(api, "MRN-F1")

    response = anonymous.get(EVENTS)

    assert response.status_code == 401
    assert "results" not in response.json()
