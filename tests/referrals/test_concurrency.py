"""Referrals moved by several desks at once, and the change feed read while they write.

Real threads, each with its own database connection; runs on SQLite and PostgreSQL alike.
"""

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.db import connections
from rest_framework.test import APIClient

from clinic.events import record_event as real_record_event
from clinic.models import Event
from clinic.services import api_key_create
from referrals.models import Referral, ReferralHistory
from tests.api.helpers import error_fields, post_json
from tests.conftest import staff_client
from tests.referrals.helpers import (
    EMERGENCY,
    EVENTS,
    HOME_CARE,
    PHYSIO_ROUTINE,
    URGENT,
    move,
    open_referral,
    post_intake,
    referral_url,
    walk_to,
)
from triage.models import Intake, Review

pytestmark = pytest.mark.django_db(transaction=True)

LEGAL_FROM_SENT = {"accepted", "declined", "cancelled"}


def desk(branch_slug: str = "north", name: str = "desk") -> APIClient:
    """A client with a fresh API key of the branch; usable from any thread."""
    _, key = api_key_create(branch_slug=branch_slug, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def run_threads(calls: list[Callable[[], Any]], *, together: bool = True) -> list[Any]:
    """Run each call in its own thread (and so its own connection), all released at once
    by a barrier; their results in order. Any exception in a thread fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def runner(index: int, call: Callable[[], Any]) -> None:
        try:
            if together:
                barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection, so the test database can go

    threads = [threading.Thread(target=runner, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not errors, f"a thread failed: {errors[0]!r}"
    return results


def _outcome(response) -> tuple[int, dict]:
    return response.status_code, response.json()


def _transitions(referral_id) -> list[tuple[str, str]]:
    return list(
        ReferralHistory.objects.filter(referral_id=referral_id, kind="transition")
        .exclude(from_status="")
        .order_by("at", "id")
        .values_list("from_status", "to_status")
    )


# Moving one referral from several desks at once ------------------------------------------


@pytest.mark.parametrize("clients", [2, 8])
def test_concurrent_moves_to_the_same_status_let_exactly_one_win(clients):
    desks = [desk(name=f"desk {i}") for i in range(clients)]
    referral_id = open_referral(desks[0])["referral"]["id"]

    outcomes = run_threads(
        [lambda d=d: _outcome(move(d, referral_id, "sent", note="sending")) for d in desks]
    )

    codes = sorted(code for code, _ in outcomes)
    assert codes == [200] + [409] * (clients - 1)
    for code, body in outcomes:
        if code == 409:
            assert body["current_status"] == "sent"
            assert set(body["legal_next"]) == LEGAL_FROM_SENT
    referral = Referral.objects.get(pk=referral_id)
    assert referral.status == "sent"
    assert referral.version == 2
    assert _transitions(referral_id) == [("open", "sent")]
    assert Event.objects.filter(referral_id=referral_id, type="referral.transitioned").count() == 1


def test_concurrent_moves_to_different_targets_let_exactly_one_win():
    desks = [desk(name="desk a"), desk(name="desk b")]
    referral_id = open_referral(desks[0])["referral"]["id"]
    walk_to(desks[0], referral_id, "sent")

    outcomes = run_threads(
        [
            lambda: _outcome(move(desks[0], referral_id, "accepted")),
            lambda: _outcome(move(desks[1], referral_id, "declined")),
        ]
    )

    assert sorted(code for code, _ in outcomes) == [200, 409]
    winner = next(body for code, body in outcomes if code == 200)
    loser = next(body for code, body in outcomes if code == 409)
    assert loser["current_status"] == winner["status"]
    assert Referral.objects.get(pk=referral_id).status == winner["status"]
    assert _transitions(referral_id) == [("open", "sent"), ("sent", winner["status"])]


def test_concurrent_moves_with_the_same_etag_let_one_win_and_refuse_the_other_as_stale():
    desks = [desk(name="desk a"), desk(name="desk b")]
    referral_id = open_referral(desks[0])["referral"]["id"]
    walk_to(desks[0], referral_id, "booked")
    etag = desks[0].get(referral_url(referral_id))["ETag"]
    history_before = _transitions(referral_id)

    responses = run_threads(
        [
            lambda: move(desks[0], referral_id, "attended", HTTP_IF_MATCH=etag),
            lambda: move(desks[1], referral_id, "not_attended", HTTP_IF_MATCH=etag),
        ]
    )

    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200).json()
    stale = next(r for r in responses if r.status_code == 412)
    assert error_fields(stale) == {"If-Match"}
    assert winner["status"] in ("attended", "not_attended")
    assert Referral.objects.get(pk=referral_id).status == winner["status"]
    assert _transitions(referral_id) == [*history_before, ("booked", winner["status"])]


def test_a_review_and_a_move_of_the_same_referral_at_once_both_complete():
    """A clinician's review amends the referral while a desk moves it. The move is held just
    before it writes its feed event until the review has written its own, so the two meet
    in the worst order; both must still finish (one after the other), never fail."""
    north = desk(name="desk")
    clinician = staff_client("dr.north", "north", "clinician")
    intake = open_referral(north, **PHYSIO_ROUTINE)
    referral_id = intake["referral"]["id"]
    mover_holds_referral = threading.Event()
    review_wrote_event = threading.Event()

    def gated_referral_event(**kwargs):
        if threading.current_thread().name == "mover" and kwargs["type"] == "referral.transitioned":
            mover_holds_referral.set()
            review_wrote_event.wait(timeout=1.5)
        return real_record_event(**kwargs)

    def flagged_triage_event(**kwargs):
        event = real_record_event(**kwargs)
        if kwargs["type"] == "review.created":
            review_wrote_event.set()
        return event

    results: dict[str, Any] = {}

    def in_thread(name: str, call: Callable[[], Any]) -> None:
        try:
            results[name] = call()
        except BaseException as exc:
            results[name] = exc
        finally:
            connections.close_all()

    review_body = {
        "disposition": "medical_referral",
        "urgency": "urgent",
        "service": "gp",
        "reason": "Needs a GP first.",
    }
    with (
        mock.patch("referrals.services.record_event", gated_referral_event),
        mock.patch("triage.services.record_event", flagged_triage_event),
    ):
        mover = threading.Thread(
            name="mover",
            target=in_thread,
            args=("move", lambda: move(north, referral_id, "sent", note="sent").status_code),
        )
        reviewer = threading.Thread(
            name="reviewer",
            target=in_thread,
            args=(
                "review",
                lambda: (
                    post_json(
                        clinician, f"/api/v1/intakes/{intake['id']}/review/", review_body
                    ).status_code
                ),
            ),
        )
        mover.start()
        assert mover_holds_referral.wait(timeout=30)
        reviewer.start()
        mover.join(timeout=60)
        reviewer.join(timeout=60)

    assert not mover.is_alive() and not reviewer.is_alive()
    assert results == {"move": 200, "review": 201}, results
    referral = Referral.objects.get(pk=referral_id)
    assert (referral.status, referral.service, referral.urgency) == ("sent", "gp", "urgent")


# The change feed under concurrent writes -------------------------------------------------


def test_the_change_feed_read_during_concurrent_writes_skips_and_repeats_nothing():
    writers, per_writer = 4, 6
    answer_cycle = [PHYSIO_ROUTINE, HOME_CARE, EMERGENCY, URGENT, PHYSIO_ROUTINE, HOME_CARE]
    north_desks = [desk(name=f"north desk {i}") for i in range(writers)]
    south_desk = desk("south", name="south desk")
    reader = desk(name="feed reader")
    review_desk = desk(name="review desk")
    clinician = staff_client("dr.north", "north", "clinician")
    # What the clinician decides for each of their intakes: cancel, confirm, amend, open.
    reviews = [
        (
            PHYSIO_ROUTINE,
            {"disposition": "home_care", "urgency": "routine", "service": "self_care"},
        ),
        (EMERGENCY, None),  # confirmed as assessed
        (URGENT, {"disposition": "medical_referral", "urgency": "routine", "service": "gp"}),
        (
            HOME_CARE,
            {"disposition": "physiotherapy", "urgency": "routine", "service": "physiotherapy"},
        ),
    ]
    shared = [open_referral(north_desks[0])["referral"]["id"] for _ in range(3)]
    writers_done = threading.Event()
    codes: Counter = Counter()
    codes_lock = threading.Lock()

    def note(kind: str, code: int) -> None:
        with codes_lock:
            codes[(kind, code)] += 1

    def write(client: APIClient, index: int) -> None:
        branch = "south" if client is south_desk else "north"
        for n in range(per_writer):
            response = post_intake(client, **answer_cycle[(n + index) % len(answer_cycle)])
            note(f"{branch} intake", response.status_code)
            referral = response.json()["referral"]
            if referral is not None:
                for target in ("sent", "accepted"):
                    note(f"{branch} own move", move(client, referral["id"], target).status_code)
            # Every north desk also races the others on the shared referrals.
            if branch == "north":
                target = ("sent", "accepted", "booked")[n % 3]
                note("shared move", move(client, shared[(n + index) % 3], target).status_code)

    def review_all() -> None:
        for n in range(per_writer):
            answers, decided = reviews[n % len(reviews)]
            intake = post_intake(review_desk, **answers).json()
            note("north intake", 201 if intake.get("id") else 0)
            if decided is None:
                a = intake["assessment"]
                decided = {key: a[key] for key in ("disposition", "urgency", "service")}
            url = f"/api/v1/intakes/{intake['id']}/review/"
            response = post_json(clinician, url, {**decided, "reason": "Reviewed."})
            note("review", response.status_code)

    def read() -> dict:
        seen: list[dict] = []
        cursor, polls, polls_while_writing = "0", 0, 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            finished = writers_done.is_set()
            response = reader.get(EVENTS, {"after": cursor, "limit": 5})
            assert response.status_code == 200, response.content
            page = response.json()
            polls += 1
            polls_while_writing += not finished and bool(page["results"])
            seen.extend(page["results"])
            if not page["results"]:
                assert page["next_cursor"] == cursor
            cursor = page["next_cursor"]
            if finished and not page["results"] and not page["has_more"]:
                return {"seen": seen, "polls": polls, "while_writing": polls_while_writing}
            if not page["has_more"]:
                time.sleep(0.002)
        raise AssertionError("the reader never caught up")

    def writer(client: APIClient, index: int) -> Callable[[], None]:
        return lambda: write(client, index)

    reader_result: dict = {}

    def reader_thread() -> None:
        try:
            reader_result.update(read())
        except BaseException as exc:
            reader_result["error"] = exc
        finally:
            connections.close_all()

    feed = threading.Thread(target=reader_thread)
    feed.start()
    try:
        run_threads(
            [writer(client, i) for i, client in enumerate(north_desks)]
            + [writer(south_desk, writers), review_all]
        )
    finally:
        writers_done.set()
        feed.join(timeout=90)
    assert not feed.is_alive()
    assert "error" not in reader_result, reader_result.get("error")

    # Every write was accepted, and the races on shared referrals were refused cleanly.
    assert codes[("north intake", 201)] == (writers + 1) * per_writer
    assert codes[("review", 201)] == per_writer
    assert codes[("south intake", 201)] == per_writer
    assert set(codes) <= {
        ("north intake", 201),
        ("south intake", 201),
        ("north own move", 200),
        ("south own move", 200),
        ("shared move", 200),
        ("shared move", 409),
        ("review", 201),
    }, codes
    assert reader_result["while_writing"] >= 1, "the reader never read during the writes"

    seen = reader_result["seen"]
    ids = [event["id"] for event in seen]
    assert all(a < b for a, b in itertools.pairwise(ids)), "not in order, or repeated"
    north_events = Event.objects.filter(branch__slug="north")
    assert set(ids) == set(north_events.values_list("id", flat=True)), "an event was skipped"
    south_ids = set(Event.objects.filter(branch__slug="south").values_list("id", flat=True))
    assert south_ids and not south_ids & set(ids)
    stored = {e.id: (e.type, str(e.referral_id) if e.referral_id else None) for e in north_events}
    assert {e["id"]: (e["type"], e["referral_id"]) for e in seen} == stored

    # One intake.created and one assessment.created per intake; one opened per referral.
    per_intake = Counter((e["type"], e["intake_id"]) for e in seen)
    north_intakes = [
        str(pk) for pk in Intake.objects.filter(branch__slug="north").values_list("id", flat=True)
    ]
    assert len(north_intakes) == (writers + 1) * per_writer + len(shared)
    for intake_id in north_intakes:
        assert per_intake[("intake.created", intake_id)] == 1
        assert per_intake[("assessment.created", intake_id)] == 1
    north_referrals = Referral.objects.filter(branch__slug="north")
    for referral in north_referrals:
        referral_id = str(referral.id)
        opened = [
            e for e in seen if e["type"] == "referral.opened" and e["referral_id"] == referral_id
        ]
        assert len(opened) == 1
        # One referral.transitioned per history transition, in the same order.
        moved = [
            (e["data"]["from"], e["data"]["to"])
            for e in seen
            if e["type"] == "referral.transitioned" and e["referral_id"] == referral_id
        ]
        assert moved == _transitions(referral.id)
        amended = [
            e for e in seen if e["type"] == "referral.amended" and e["referral_id"] == referral_id
        ]
        assert len(amended) == referral.history.filter(kind="amendment").count()
    # One review.created per review; the reviews amended, cancelled and opened referrals.
    per_review = Counter(e["review_id"] for e in seen if e["type"] == "review.created")
    assert per_review == Counter(str(pk) for pk in Review.objects.values_list("id", flat=True))
    assert ReferralHistory.objects.filter(kind="amendment").exists()
    assert ReferralHistory.objects.filter(to_status="cancelled").exists()
    transitioned = sum(e["type"] == "referral.transitioned" for e in seen)
    cancelled_by_reviews = ReferralHistory.objects.filter(
        to_status="cancelled", note__startswith="Clinician review"
    ).count()
    assert cancelled_by_reviews > 0
    moves = codes[("north own move", 200)] + codes[("shared move", 200)]
    assert transitioned == moves + cancelled_by_reviews
    assert transitioned > 0 and codes[("shared move", 409)] > 0
