"""The referral workflow through the API: opening from an intake, every move, the ETag guard,
overdue, list filters, branch scoping, the letter and who is recorded in the history."""

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.html import escape

from clinic.models import Event
from referrals.models import Referral, ReferralHistory
from tests.api.helpers import INTAKES, error_fields
from tests.engine.builders import baseline_startback, startback_items
from tests.referrals.helpers import (
    EMERGENCY,
    HOME_CARE,
    PHYSIO_ROUTINE,
    REFERRALS,
    URGENT,
    detail,
    frozen_now,
    key_prefix,
    listed_ids,
    move,
    open_referral,
    post_intake,
    referral_url,
    walk_to,
)

# The workflow as the issue states it, written out here rather than taken from the app:
# open → sent → accepted → booked → attended → completed; sent → declined;
# booked → not_attended → booked; and any status that is not final → cancelled.
NON_FINAL = ("open", "sent", "accepted", "booked", "attended", "not_attended")
FINAL = ("completed", "declined", "cancelled")
STATUSES = (*NON_FINAL, *FINAL)
LEGAL_MOVES = {
    ("open", "sent"),
    ("sent", "accepted"),
    ("sent", "declined"),
    ("accepted", "booked"),
    ("booked", "attended"),
    ("booked", "not_attended"),
    ("not_attended", "booked"),
    ("attended", "completed"),
    *((status, "cancelled") for status in NON_FINAL),
}
AWAITING_BOOKING = {"open", "sent", "accepted"}
LEGAL_PAIRS = [pair for pair in product(STATUSES, STATUSES) if pair in LEGAL_MOVES]
ILLEGAL_PAIRS = [pair for pair in product(STATUSES, STATUSES) if pair not in LEGAL_MOVES]
LONDON = ZoneInfo("Europe/London")


def legal_next(status: str) -> set[str]:
    return {target for current, target in LEGAL_MOVES if current == status}


def _state(referral_id) -> tuple:
    """What a refused request must leave alone: status, version, history and feed."""
    referral = Referral.objects.get(pk=referral_id)
    return (
        referral.status,
        referral.version,
        referral.updated_at,
        ReferralHistory.objects.filter(referral=referral).count(),
        Event.objects.filter(referral_id=referral_id).count(),
    )


def _transition_events(referral_id) -> list[dict]:
    return list(
        Event.objects.filter(referral_id=referral_id, type="referral.transitioned")
        .order_by("id")
        .values_list("data", flat=True)
    )


# The workflow matrix ---------------------------------------------------------------------


def test_the_matrix_covers_every_pair_of_the_nine_statuses():
    assert len(LEGAL_PAIRS) + len(ILLEGAL_PAIRS) == 81
    assert len(LEGAL_PAIRS) == 14


@pytest.mark.parametrize(("current", "target"), LEGAL_PAIRS)
def test_a_legal_move_changes_status_appends_history_and_changes_the_etag(api, current, target):
    referral_id = open_referral(api)["referral"]["id"]
    walk_to(api, referral_id, current)
    before = api.get(referral_url(referral_id))
    before_body = before.json()
    events_before = len(_transition_events(referral_id))
    note = f"moving {current} to {target}"

    response = move(api, referral_id, target, note=note)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == referral_id
    assert body["status"] == target
    assert set(body["legal_next"]) == legal_next(target)
    assert len(body["history"]) == len(before_body["history"]) + 1
    entry = body["history"][-1]
    assert (entry["from_status"], entry["to_status"], entry["note"]) == (current, target, note)
    assert entry["actor"] == f"api-key:{key_prefix(api)}"
    assert entry["at"]
    assert body["history"][:-1] == before_body["history"]  # earlier entries are untouched
    assert body["version"] > before_body["version"]
    assert response["ETag"] and response["ETag"] != before["ETag"]
    after = api.get(referral_url(referral_id))
    assert after.json()["status"] == target
    assert after["ETag"] == response["ETag"]
    events = _transition_events(referral_id)
    assert len(events) == events_before + 1
    assert events[-1] == {"from": current, "to": target}


@pytest.mark.parametrize(("current", "target"), ILLEGAL_PAIRS)
def test_an_illegal_move_is_a_conflict_naming_status_and_legal_next(api, current, target):
    referral_id = open_referral(api)["referral"]["id"]
    walk_to(api, referral_id, current)
    before = _state(referral_id)
    etag = api.get(referral_url(referral_id))["ETag"]

    response = move(api, referral_id, target, note="a note, so only legality can refuse it")

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["current_status"] == current
    assert sorted(body["legal_next"]) == sorted(legal_next(current))
    assert len(body["legal_next"]) == len(set(body["legal_next"]))
    assert "to" in error_fields(response)
    assert _state(referral_id) == before
    assert api.get(referral_url(referral_id))["ETag"] == etag


@pytest.mark.parametrize("final", sorted(FINAL))
def test_a_final_status_accepts_no_move_at_all(api, final):
    referral_id = open_referral(api)["referral"]["id"]
    walk_to(api, referral_id, final)
    before = _state(referral_id)

    codes = {target: move(api, referral_id, target, note="try").status_code for target in STATUSES}

    assert codes == dict.fromkeys(STATUSES, 409)
    assert detail(api, referral_id)["legal_next"] == []
    assert _state(referral_id) == before


@pytest.mark.parametrize("current", NON_FINAL)
@pytest.mark.parametrize(
    "note", [None, "", "   ", "\n\t "], ids=["missing", "empty", "spaces", "ws"]
)
def test_cancelling_without_a_note_is_refused_naming_note(api, current, note):
    referral_id = open_referral(api)["referral"]["id"]
    walk_to(api, referral_id, current)
    before = _state(referral_id)

    response = move(api, referral_id, "cancelled", note=note)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {"note"}
    assert _state(referral_id) == before


@pytest.mark.parametrize("current", NON_FINAL)
def test_cancelling_with_a_note_works_from_every_non_final_status(api, current):
    referral_id = open_referral(api)["referral"]["id"]
    walk_to(api, referral_id, current)

    response = move(api, referral_id, "cancelled", note="Patient moved away.")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["legal_next"] == []
    assert body["history"][-1]["note"] == "Patient moved away."
    assert body["history"][-1]["from_status"] == current


@pytest.mark.parametrize(
    "to", ["bogus", "", "OPEN", "Sent", None, 5, True, ["sent"], {"status": "sent"}]
)
def test_an_unknown_target_status_is_refused_naming_to(api, to):
    referral_id = open_referral(api)["referral"]["id"]
    before = _state(referral_id)

    response = move(api, referral_id, to, note="x")

    assert response.status_code == 400, response.content
    assert error_fields(response) == {"to"}
    assert _state(referral_id) == before


def test_a_transition_without_to_is_refused_naming_to(api):
    referral_id = open_referral(api)["referral"]["id"]
    before = _state(referral_id)

    response = api.post(
        referral_url(referral_id, "transitions/"), {"note": "no target"}, format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {"to"}
    assert _state(referral_id) == before


def test_a_transition_of_an_unknown_referral_is_not_found(api):
    response = move(api, "00000000-0000-0000-0000-000000000000", "sent")

    assert response.status_code == 404


# Intakes open referrals ------------------------------------------------------------------


def test_a_home_care_intake_has_no_referral(api):
    response = post_intake(api, **HOME_CARE)

    assert response.status_code == 201
    intake = response.json()
    assert intake["assessment"]["disposition"] == "home_care"
    assert intake["referral"] is None
    assert not Referral.objects.filter(intake_id=intake["id"]).exists()
    assert api.get(f"{INTAKES}{intake['id']}/").json()["referral"] is None
    assert not Event.objects.filter(intake_id=intake["id"], type="referral.opened").exists()


@pytest.mark.parametrize(
    ("answers", "disposition", "urgency", "offset"),
    [
        (PHYSIO_ROUTINE, "physiotherapy", "routine", timedelta(days=14)),
        (EMERGENCY, "medical_referral", "emergency", timedelta(hours=4)),
    ],
    ids=["physiotherapy-routine", "medical-emergency"],
)
def test_an_intake_needing_care_opens_a_referral_matching_its_assessment(
    api, answers, disposition, urgency, offset
):
    response = post_intake(api, **answers)

    assert response.status_code == 201
    intake = response.json()
    assessment = intake["assessment"]
    assert (assessment["disposition"], assessment["urgency"]) == (disposition, urgency)
    summary = intake["referral"]
    assert set(summary) == {"id", "status", "service", "urgency", "due_by"}
    assert summary["status"] == "open"
    assert summary["service"] == assessment["service"]
    assert summary["urgency"] == assessment["urgency"]
    full = detail(api, summary["id"])
    assert full["intake"] == intake["id"]
    assert full["patient"]["id"] == intake["patient"]["id"]
    assert full["imaging"] == assessment["imaging"]
    assert full["due_by"] == summary["due_by"]
    assert [(h["from_status"], h["to_status"]) for h in full["history"]] == [("", "open")]
    assert Referral.objects.filter(intake_id=intake["id"]).count() == 1
    assert api.get(f"{INTAKES}{intake['id']}/").json()["referral"] == summary
    # Unfrozen clock: the referral is opened in the same request as the intake is submitted.
    submitted = datetime.fromisoformat(intake["submitted_at"])
    due = datetime.fromisoformat(summary["due_by"])
    assert abs(due - (submitted + offset)) < timedelta(seconds=2)


def _expected_urgent_due(opened_local: datetime) -> datetime:
    """Two working days (Monday to Friday) after `opened_local`, same clinic wall-clock time."""
    moment, left = opened_local, 2
    while left:
        moment = (moment.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=LONDON)
        if moment.isoweekday() <= 5:
            left -= 1
    return moment


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# The answers these tests give for each urgency.
ANSWERS_FOR = {"routine": PHYSIO_ROUTINE, "urgent": URGENT, "emergency": EMERGENCY}

# (urgency, submitted at (aware), expected due_by (aware))
DUE_CASES = {
    "routine-14-days": ("routine", _local(2026, 6, 5, 10), _local(2026, 6, 19, 10)),
    "emergency-4-hours": ("emergency", _local(2026, 6, 5, 10), _local(2026, 6, 5, 14)),
    "emergency-past-midnight": ("emergency", _local(2026, 6, 5, 22, 30), _local(2026, 6, 6, 2, 30)),
    # Four hours are four elapsed hours, also on the nights the clocks change.
    "emergency-clocks-go-forward": (
        "emergency",
        _utc(2026, 3, 29, 0, 30),
        _utc(2026, 3, 29, 4, 30),
    ),
    "emergency-clocks-go-back": ("emergency", _utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 4, 30)),
    "urgent-monday": ("urgent", _local(2026, 6, 1, 10), _local(2026, 6, 3, 10)),
    "urgent-wednesday": ("urgent", _local(2026, 6, 3, 9, 15), _local(2026, 6, 5, 9, 15)),
    "urgent-thursday": ("urgent", _local(2026, 6, 4, 10), _local(2026, 6, 8, 10)),
    "urgent-friday": ("urgent", _local(2026, 6, 5, 10), _local(2026, 6, 9, 10)),
    "urgent-friday-late": ("urgent", _local(2026, 6, 5, 23, 59), _local(2026, 6, 9, 23, 59)),
    "urgent-saturday": ("urgent", _local(2026, 6, 6, 10), _local(2026, 6, 9, 10)),
    "urgent-sunday": ("urgent", _local(2026, 6, 7, 10), _local(2026, 6, 9, 10)),
    # Friday 23:30 UTC is already Saturday 00:30 in the clinic's time zone.
    "urgent-friday-utc-saturday-local": (
        "urgent",
        _utc(2026, 7, 3, 23, 30),
        _local(2026, 7, 7, 0, 30),
    ),
}


def test_the_urgent_expectations_are_two_working_days():
    for urgency, submitted, expected in DUE_CASES.values():
        if urgency == "urgent":
            assert _expected_urgent_due(submitted.astimezone(LONDON)) == expected
    friday = DUE_CASES["urgent-friday"]
    assert friday[1].strftime("%A") == "Friday"
    assert friday[2].strftime("%A") == "Tuesday"


@pytest.mark.parametrize(
    ("urgency", "submitted", "expected"), list(DUE_CASES.values()), ids=list(DUE_CASES)
)
def test_due_by_is_the_submission_time_plus_the_urgency_offset(api, urgency, submitted, expected):
    with frozen_now(submitted.astimezone(UTC)):
        response = post_intake(api, **ANSWERS_FOR[urgency])

    assert response.status_code == 201, response.content
    intake = response.json()
    assert intake["assessment"]["urgency"] == urgency
    assert datetime.fromisoformat(intake["submitted_at"]) == submitted
    due = datetime.fromisoformat(intake["referral"]["due_by"])
    assert due == expected, f"due {due.astimezone(UTC)}, expected {expected.astimezone(UTC)}"
    assert Referral.objects.get(pk=intake["referral"]["id"]).due_by == expected


# ETag and If-Match -----------------------------------------------------------------------


def test_a_transition_with_the_current_etag_succeeds_and_a_stale_one_is_refused(api):
    referral_id = open_referral(api)["referral"]["id"]
    read = api.get(referral_url(referral_id))
    etag = read["ETag"]
    assert etag

    first = move(api, referral_id, "sent", HTTP_IF_MATCH=etag)

    assert first.status_code == 200, first.content
    assert first["ETag"] != etag
    before = _state(referral_id)

    stale = move(api, referral_id, "accepted", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412, stale.content
    assert error_fields(stale) == {"If-Match"}
    assert _state(referral_id) == before
    assert detail(api, referral_id)["status"] == "sent"

    fresh = move(
        api, referral_id, "accepted", HTTP_IF_MATCH=api.get(referral_url(referral_id))["ETag"]
    )

    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["status"] == "accepted"


def test_the_etag_from_a_transition_response_is_current(api):
    referral_id = open_referral(api)["referral"]["id"]
    sent = move(api, referral_id, "sent")

    response = move(api, referral_id, "accepted", HTTP_IF_MATCH=sent["ETag"])

    assert response.status_code == 200, response.content


def test_a_stale_etag_is_refused_even_for_a_move_that_would_be_illegal(api):
    referral_id = open_referral(api)["referral"]["id"]
    etag = api.get(referral_url(referral_id))["ETag"]
    move(api, referral_id, "sent")
    before = _state(referral_id)

    response = move(api, referral_id, "sent", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert _state(referral_id) == before


def test_an_etag_of_another_referral_is_refused(api):
    first = open_referral(api)["referral"]["id"]
    second = open_referral(api)["referral"]["id"]
    other_etag = api.get(referral_url(second))["ETag"]
    before = _state(first)

    response = move(api, first, "sent", HTTP_IF_MATCH=other_etag)

    assert response.status_code == 412
    assert _state(first) == before


# Overdue ---------------------------------------------------------------------------------


def _make_overdue(referral_id) -> None:
    Referral.objects.filter(pk=referral_id).update(due_by=timezone.now() - timedelta(hours=1))


def test_a_referral_past_due_and_not_booked_is_overdue_until_booked(api):
    referral_id = open_referral(api)["referral"]["id"]
    _make_overdue(referral_id)

    assert detail(api, referral_id)["overdue"] is True
    assert referral_id in listed_ids(api.get(REFERRALS, {"overdue": "true"}))
    assert referral_id not in listed_ids(api.get(REFERRALS, {"overdue": "false"}))
    listed = api.get(REFERRALS).json()["results"]
    assert [item["overdue"] for item in listed if item["id"] == referral_id] == [True]

    walk_to(api, referral_id, "booked")

    assert detail(api, referral_id)["overdue"] is False
    assert referral_id not in listed_ids(api.get(REFERRALS, {"overdue": "true"}))
    assert referral_id in listed_ids(api.get(REFERRALS, {"overdue": "false"}))


@pytest.mark.parametrize("status", STATUSES)
def test_overdue_only_while_awaiting_booking(api, status):
    referral_id = open_referral(api)["referral"]["id"]
    walk_to(api, referral_id, status)
    _make_overdue(referral_id)
    expected = status in AWAITING_BOOKING

    assert detail(api, referral_id)["overdue"] is expected
    assert (referral_id in listed_ids(api.get(REFERRALS, {"overdue": "true"}))) is expected
    assert (referral_id in listed_ids(api.get(REFERRALS, {"overdue": "false"}))) is not expected


def test_a_referral_not_yet_due_is_not_overdue(api):
    referral_id = open_referral(api, **EMERGENCY)["referral"]["id"]  # due in four hours
    Referral.objects.filter(pk=referral_id).update(due_by=timezone.now() + timedelta(minutes=1))

    assert detail(api, referral_id)["overdue"] is False
    assert referral_id not in listed_ids(api.get(REFERRALS, {"overdue": "true"}))
    assert referral_id in listed_ids(api.get(REFERRALS, {"overdue": "false"}))


# List filters ----------------------------------------------------------------------------


@pytest.fixture
def three_referrals(api) -> dict[str, dict]:
    """physio (open, routine), emergency (sent), urgent (open); each a different patient."""
    intakes = {
        "physio": open_referral(api, **PHYSIO_ROUTINE),
        "emergency": open_referral(api, **EMERGENCY),
        "urgent": open_referral(api, **URGENT),
    }
    move(api, intakes["emergency"]["referral"]["id"], "sent")
    return intakes


def _ids(intakes: dict[str, dict], *names: str) -> set[str]:
    return {intakes[name]["referral"]["id"] for name in names}


def test_the_list_shows_every_referral_of_the_branch_newest_first(api, three_referrals):
    response = api.get(REFERRALS)

    ids = listed_ids(response)
    assert set(ids) == _ids(three_referrals, "physio", "emergency", "urgent")
    assert response.json()["count"] == 3
    created = [item["created_at"] for item in response.json()["results"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "sent"}, {"emergency"}),
        ({"status": "open"}, {"physio", "urgent"}),
        ({"status": ["open", "sent"]}, {"physio", "emergency", "urgent"}),
        ({"status": "completed"}, set()),
        ({"service": "physiotherapy"}, {"physio"}),
        ({"service": "emergency_department"}, {"emergency"}),
        ({"service": "urgent_imaging"}, {"urgent"}),
        ({"service": "gp"}, set()),
        ({"urgency": "routine"}, {"physio"}),
        ({"urgency": "urgent"}, {"urgent"}),
        ({"urgency": "emergency"}, {"emergency"}),
        ({"urgency": "emergency", "status": "open"}, set()),
    ],
)
def test_a_list_filter_narrows_to_the_matching_referrals(api, three_referrals, params, expected):
    assert set(listed_ids(api.get(REFERRALS, params))) == _ids(three_referrals, *expected)


def test_the_patient_filter_lists_that_patients_referrals_only(api, three_referrals):
    patient_id = three_referrals["urgent"]["patient"]["id"]
    again = open_referral(
        api, external_id=three_referrals["urgent"]["patient"]["external_id"], **PHYSIO_ROUTINE
    )
    assert again["patient"]["id"] == patient_id

    ids = set(listed_ids(api.get(REFERRALS, {"patient": patient_id})))

    assert ids == {three_referrals["urgent"]["referral"]["id"], again["referral"]["id"]}


def test_the_intake_filter_lists_that_intakes_referral_only(api, three_referrals):
    intake = three_referrals["physio"]

    ids = listed_ids(api.get(REFERRALS, {"intake": intake["id"]}))

    assert ids == [intake["referral"]["id"]]


def test_the_created_filters_narrow_by_creation_time(api, three_referrals):
    physio = three_referrals["physio"]["referral"]["id"]
    emergency = three_referrals["emergency"]["referral"]["id"]
    Referral.objects.filter(pk=physio).update(created_at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    # 23:30 UTC on 1 July is 00:30 on 2 July in the clinic (BST).
    Referral.objects.filter(pk=emergency).update(
        created_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    )
    today = timezone.localdate().isoformat()

    def ids(**params) -> set[str]:
        return set(listed_ids(api.get(REFERRALS, params)))

    assert ids(created_on="2026-01-10") == {physio}
    assert ids(created_on="2026-01-11") == set()
    assert ids(created_on="2026-07-02") == {emergency}
    assert ids(created_on="2026-07-01") == set()
    assert ids(created_on=today) == _ids(three_referrals, "urgent")
    assert ids(created_after="2026-01-10T12:00:00Z") == _ids(
        three_referrals, "physio", "emergency", "urgent"
    )
    assert ids(created_after="2026-01-10T12:00:01Z") == _ids(three_referrals, "emergency", "urgent")
    assert ids(created_before="2026-01-10T12:00:01Z") == {physio}
    assert ids(created_before="2026-01-10T12:00:00Z") == set()
    assert ids(created_after="2026-01-01T00:00:00Z", created_before="2026-08-01T00:00:00Z") == {
        physio,
        emergency,
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "bogus"),
        ("status", "OPEN"),
        ("service", "self_care"),
        ("service", "x"),
        ("urgency", "soon"),
        ("overdue", "yes"),
        ("overdue", "1"),
        ("patient", "not-a-uuid"),
        ("intake", "123"),
        ("created_on", "2026-13-01"),
        ("created_on", "yesterday"),
        ("created_after", "not a time"),
        ("created_before", "2026-02-30T00:00:00Z"),
    ],
)
def test_an_invalid_filter_value_is_refused_naming_the_filter(api, three_referrals, name, value):
    response = api.get(REFERRALS, {name: value})

    assert response.status_code == 400, response.content
    assert error_fields(response) == {name}


# Branch scoping --------------------------------------------------------------------------


def test_another_branch_cannot_see_or_move_a_referral(api, other_api):
    intake = open_referral(api)
    referral_id = intake["referral"]["id"]
    before = _state(referral_id)

    assert other_api.get(referral_url(referral_id)).status_code == 404
    assert other_api.get(referral_url(referral_id, "letter/")).status_code == 404
    for target in ("sent", "cancelled"):
        response = move(other_api, referral_id, target, note="not ours")
        assert response.status_code == 404
        assert "current_status" not in response.json()
    assert _state(referral_id) == before

    for params in ({}, {"intake": intake["id"]}, {"patient": intake["patient"]["id"]}):
        response = other_api.get(REFERRALS, params)
        assert response.status_code == 200
        assert response.json()["count"] == 0
        assert listed_ids(response) == []
    assert listed_ids(api.get(REFERRALS)) == [referral_id]


def test_each_branch_lists_only_its_own_referrals(api, other_api):
    north = open_referral(api)["referral"]["id"]
    south = open_referral(other_api)["referral"]["id"]

    assert listed_ids(api.get(REFERRALS)) == [north]
    assert listed_ids(other_api.get(REFERRALS)) == [south]
    assert move(api, south, "sent").status_code == 404
    assert detail(other_api, south)["status"] == "open"


# The letter ------------------------------------------------------------------------------


class _TextOf(HTMLParser):
    """The visible text of a page (no style or script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_the_letter_is_printable_html_with_everything_the_receiver_needs(api):
    startback = {**baseline_startback(), **startback_items(physical=3, psychosocial=4)}
    intake = open_referral(
        api, cancer_history="yes", unexplained_weight_loss="yes", startback=startback
    )
    assessment = intake["assessment"]
    assert assessment["urgency"] == "urgent"
    assert assessment["imaging"] != "none"
    assert assessment["startback"]["total"] == 7
    assert len(assessment["red_flags"]) >= 2
    referral_id = intake["referral"]["id"]

    response = api.get(referral_url(referral_id, "letter/"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    text = _visible_text(html)
    assert "@media print" in html
    assert escape(intake["patient"]["external_id"]) in html
    born = date.fromisoformat(intake["patient"]["date_of_birth"])
    assert any(
        form in text
        for form in (born.isoformat(), f"{born.day} {born:%B %Y}", born.strftime("%d/%m/%Y"))
    ), "date of birth not shown"
    assert assessment["reasons"]
    for reason in assessment["reasons"]:
        assert escape(reason["text"]) in html, reason["rule_id"]
    for flag in assessment["red_flags"]:
        assert escape(flag["label"]) in html, flag["code"]
    assert re.search(r"total\D{0,20}\b7\b", text, re.IGNORECASE), "STarT total not shown"
    assert re.search(r"urgency\W+urgent", text, re.IGNORECASE), "urgency not shown"
    # The letter names the imaging in words: "MRI of the whole spine" for mri_whole_spine.
    assert assessment["imaging"] == "mri_whole_spine"
    assert "mri of the whole spine" in text.lower(), "requested imaging not shown"
    safety_net = [a for a in assessment["advice"] if a["code"].startswith("safety_net")]
    assert safety_net
    for advice in safety_net:
        assert escape(advice["text"]) in html, advice["code"]


def test_the_letter_of_a_referral_without_red_flags_or_imaging_says_so(api):
    intake = open_referral(api, **PHYSIO_ROUTINE)
    assessment = intake["assessment"]
    assert assessment["red_flags"] == [] and assessment["imaging"] == "none"

    response = api.get(referral_url(intake["referral"]["id"], "letter/"))

    assert response.status_code == 200
    html = response.content.decode()
    for reason in assessment["reasons"]:
        assert escape(reason["text"]) in html
    assert "routine" in _visible_text(html).lower()
    for advice in assessment["advice"]:
        if advice["code"].startswith("safety_net"):
            assert escape(advice["text"]) in html


def test_an_unknown_referral_has_no_letter(api):
    response = api.get(referral_url("00000000-0000-0000-0000-000000000000", "letter/"))

    assert response.status_code == 404


# Who moved it ----------------------------------------------------------------------------


def test_a_move_by_a_signed_in_receptionist_records_the_user(api, receptionist):
    referral_id = open_referral(api)["referral"]["id"]

    response = move(receptionist, referral_id, "sent", note="sent by the desk")

    assert response.status_code == 200, response.content
    entry = response.json()["history"][-1]
    assert entry["actor"] == "user:desk.north"
    stored = ReferralHistory.objects.filter(referral_id=referral_id).last()
    assert stored.user.get_username() == "desk.north"
    assert stored.api_key is None


def test_a_move_by_an_api_key_records_the_key_prefix(api):
    referral_id = open_referral(api)["referral"]["id"]

    response = move(api, referral_id, "sent")

    assert response.status_code == 200
    prefix = key_prefix(api)
    assert response.json()["history"][-1]["actor"] == f"api-key:{prefix}"
    stored = ReferralHistory.objects.filter(referral_id=referral_id).last()
    assert stored.api_key.prefix == prefix
    assert stored.user is None
    opened = ReferralHistory.objects.filter(referral_id=referral_id).first()
    assert (opened.from_status, opened.to_status, opened.actor) == ("", "open", f"api-key:{prefix}")
