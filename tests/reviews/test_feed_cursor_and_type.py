"""The change feed takes only cursors it gave, and filters by event type.

A cursor is `0` or the `next_cursor` of an earlier page: the id of an event the caller can
see. Anything else (a corrupted or made-up number, another branch's event, digits of another
script) is a 400 naming `after`, never an empty page that would stall a sync silently. The
`type` filter is repeatable; its `next_cursor` carries a filtered sync on without skipping or
repeating an event of those types.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.models import Event
from tests.reviews.helpers import EVENTS, URGENT_GP, create_intake, review, transition
from tests.rulesets.helpers import activate, finished_replay, officer

MARKER = "ZZ-SECRET-VALUE-123"
# Every type of event there is (the model declares them): the feed writes each, and may be
# filtered by each.
EVENT_TYPES = {value for value, _label in Event.TYPES}


def feed(client, query: str = ""):
    return client.get(f"{EVENTS}?{query}" if query else EVENTS)


def codes_by_field(response) -> dict[str, str]:
    return {error["field"]: error["code"] for error in response.json()["errors"]}


def busy_branch(api, clinician) -> None:
    """Events of every type, interleaved: two intakes with referrals, a review that amends
    one, a safety officer activating ruleset 2026.2, transitions."""
    first = create_intake(api, "MRN-C1", **URGENT_GP)
    second = create_intake(api, "MRN-C2", **URGENT_GP)
    transition(api, first["referral"]["id"], "sent")
    review(clinician, second["id"], "medical_referral", "urgent", "rheumatology")
    # A replay as the replay worker leaves one (tests/rulesets/helpers.py), with nothing to
    # acknowledge.
    assert activate(officer("so.feed"), "2026.2", finished_replay("north")).status_code == 201
    create_intake(api, "MRN-C3")
    transition(api, second["referral"]["id"], "sent")


# Cursors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("after", ["999999", "1" + "0" * 17])
def test_a_cursor_the_feed_never_gave_is_400_naming_after(api, after):
    create_intake(api, "MRN-C1")

    response = feed(api, f"after={after}")

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"after": "unknown_cursor"}
    assert after not in response.content.decode()


def test_a_cursor_of_another_branchs_event_is_400(api, other_api):
    create_intake(other_api, "MRN-S1")
    south_cursor = feed(other_api).json()["next_cursor"]
    create_intake(api, "MRN-N1")

    response = feed(api, f"after={south_cursor}")

    assert response.status_code == 400
    assert codes_by_field(response) == {"after": "unknown_cursor"}


@pytest.mark.parametrize(
    "after",
    ["\uff11", "\u0661", "\U0001d7d9", "01", "00"],
    ids=["fullwidth-1", "arabic-indic-1", "math-1", "leading-zero", "double-zero"],
)
def test_a_cursor_not_written_as_the_feed_writes_it_is_400(api, after):
    create_intake(api, "MRN-C1")  # events 1 and 2 exist: "1" would be a cursor

    response = api.get(EVENTS, {"after": after})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"after": "invalid"}


def test_every_cursor_the_feed_gives_is_taken_back(api, clinician):
    busy_branch(api, clinician)
    cursors = ["0"]
    while True:
        page = feed(api, f"after={cursors[-1]}&limit=2").json()
        cursors.append(page["next_cursor"])
        if not page["has_more"]:
            break

    for cursor in [*cursors, cursors[-1]]:  # the last one, again: nothing new
        assert feed(api, f"after={cursor}").status_code == 200, cursor


@pytest.mark.parametrize("limit", ["\uff15", "5.0", "+5", " 5", "5 "])
def test_a_limit_not_written_in_plain_digits_is_400(api, limit):
    response = api.get(EVENTS, {"limit": limit})

    assert response.status_code == 400, response.content
    assert codes_by_field(response) == {"limit": "invalid"}


# The type filter ----------------------------------------------------------------------------


def test_the_feed_filters_by_one_type(api, clinician):
    busy_branch(api, clinician)

    results = feed(api, "type=referral.transitioned").json()["results"]

    assert [event["type"] for event in results] == ["referral.transitioned"] * 2


def test_the_type_filter_is_repeatable(api, clinician):
    busy_branch(api, clinician)
    everything = feed(api).json()["results"]

    results = feed(api, "type=review.created&type=referral.amended").json()["results"]

    expected = [e for e in everything if e["type"] in ("review.created", "referral.amended")]
    assert results == expected
    assert {event["type"] for event in results} == {"review.created", "referral.amended"}


def test_a_filtered_sync_gets_every_event_of_its_types_once_in_order(api, clinician):
    busy_branch(api, clinician)
    wanted = ("intake.created", "referral.transitioned")
    expected = [e["id"] for e in feed(api).json()["results"] if e["type"] in wanted]
    query = "&".join(f"type={name}" for name in wanted)

    seen, after = [], "0"
    for _ in range(20):
        page = feed(api, f"{query}&limit=2&after={after}").json()
        seen += [event["id"] for event in page["results"]]
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    create_intake(api, "MRN-C4")  # more happens after the sync caught up
    page = feed(api, f"{query}&after={after}").json()
    seen += [event["id"] for event in page["results"]]

    assert len(expected) == 5
    assert seen[:-1] == expected
    assert [e["type"] for e in page["results"]] == ["intake.created"]
    assert len(seen) == len(set(seen))


def test_a_filtered_page_with_nothing_new_keeps_the_cursor(api, clinician):
    busy_branch(api, clinician)
    cursor = feed(api, "type=review.created").json()["next_cursor"]
    create_intake(api, "MRN-C4")  # events, none of them a review

    page = feed(api, f"type=review.created&after={cursor}").json()

    assert page == {"results": [], "next_cursor": cursor, "has_more": False}


@pytest.mark.parametrize("value", [MARKER, "intake", "INTAKE.CREATED", "intake.created "])
def test_an_unknown_event_type_is_400_naming_type_without_repeating_it(api, value):
    response = api.get(EVENTS, {"type": value})

    assert response.status_code == 400
    assert codes_by_field(response) == {"type": "invalid_choice"}
    assert MARKER not in response.content.decode()


def test_the_type_filter_takes_every_type_the_feed_writes(api, clinician):
    busy_branch(api, clinician)
    written = {event.type for event in Event.objects.all()}
    assert written == EVENT_TYPES  # the world above makes one of each

    for name in sorted(EVENT_TYPES):
        results = feed(api, f"type={name}").json()["results"]
        assert results and {event["type"] for event in results} == {name}


def test_the_schema_documents_the_type_filter_as_a_list_of_the_event_types(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/events/"]["get"]["parameters"]

    (type_filter,) = [p for p in parameters if p["name"] == "type" and p["in"] == "query"]

    assert type_filter["schema"]["type"] == "array"
    assert set(type_filter["schema"]["items"]["enum"]) == EVENT_TYPES
    (after,) = [p for p in parameters if p["name"] == "after"]
    assert after["schema"]["pattern"] == "^(0|[1-9][0-9]{0,17})$"
