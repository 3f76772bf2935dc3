"""The whole governed switch with real replays (issue 13, "done when"): a branch's history
decided under 2026.1, replayed under 2026.2 by a clinician, checked against an independent
recomputation; the activation refused for each missing condition, one test each; then
activated by a safety officer, and the next intake decided under 2026.2 while the earlier
ones still show 2026.1. A rollback to 2026.1 is an activation like any other, and the one
place a real replay shows under-triage (2026.2 only ever raises or keeps a decision)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.referrals.helpers import frozen_now
from tests.replays.helpers import REPLAYS, expected_replay, replays_url, store_history
from tests.rulesets.helpers import activate, errors_by_field, officer


@pytest.fixture
def north(db, settings):
    settings.REPLAY_PART_SIZE = 11
    desk = key_client("north")
    store_history(desk, random_intakes=25)
    return desk


@pytest.fixture
def dr(north):
    return staff_client("dr.north", "north", "clinician")


@pytest.fixture
def replay_by(django_capture_on_commit_callbacks):
    def start(client, version="2026.2", **body) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_json(client, replays_url(version), body)
        assert response.status_code == 202, response.content
        return client.get(f"{REPLAYS}{response.json()['id']}/").json()

    return start


def _refusal_codes(response) -> set[str]:
    assert response.status_code == 409, response.content
    return {code for codes in errors_by_field(response).values() for code in codes}


class _Replay:
    def __init__(self, body: dict):
        self.id = body["id"]


def _activate(client, version: str, replay: dict, **body):
    return activate(client, version, _Replay(replay), **body)


def _acks(summary: dict) -> list[dict]:
    from triage.rulesets import under_triage_classes

    return [{"from": b, "to": a, "rationale": "Reviewed each case with the clinical lead."}
            for b, a, _ in under_triage_classes(summary["matrix"])]  # fmt: skip


def test_replay_then_activate_then_the_next_intake_is_decided_under_the_new_version(
    north, dr, replay_by
):
    before = north.get(INTAKES).json()["results"][0]
    replay = replay_by(dr)
    expected, _ = expected_replay(dr, "2026.2")
    replay["summary"]["matrix"].sort(key=lambda row: (row["from"], row["to"]))
    assert replay["summary"] == expected
    assert replay["summary"]["changed"] > 0

    so = officer("so.north")
    response = _activate(so, "2026.2", replay, acknowledgements=_acks(replay["summary"]))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "active"

    after = post_json(north, INTAKES, intake_body(external_id="NEW-1"))
    assert after.status_code == 201
    assert after.json()["assessment"]["ruleset_version"] == "2026.2"
    assert "watch_for" in after.json()["assessment"]
    earlier = dr.get(f"{INTAKES}{before['id']}/").json()["assessment"]
    assert earlier["ruleset_version"] == "2026.1"
    assert "watch_for" not in earlier


def test_refused_for_a_replay_of_another_version(dr, replay_by):
    replay = replay_by(dr, "2026.1")
    assert "replay_of_another_version" in _refusal_codes(
        _activate(officer("so.north"), "2026.2", replay)
    )


def test_refused_for_a_replay_not_done(dr):
    started = post_json(dr, replays_url("2026.2"), {})  # never handed to a worker
    assert started.json()["status"] == "running"
    assert _refusal_codes(_activate(officer("so.north"), "2026.2", started.json())) == {
        "replay_not_done"
    }


def test_refused_for_a_replay_finished_more_than_seven_days_ago(dr, replay_by):
    replay = replay_by(dr)
    so = officer("so.north")
    with frozen_now(timezone.now() + timedelta(days=7, minutes=1)):
        codes = _refusal_codes(
            _activate(so, "2026.2", replay, acknowledgements=_acks(replay["summary"]))
        )
    assert "replay_stale" in codes


def test_refused_for_a_replay_not_covering_the_last_90_days(dr, replay_by):
    since = (timezone.now() - timedelta(days=30)).isoformat()
    replay = replay_by(dr, submitted_after=since)
    codes = _refusal_codes(_activate(officer("so.north"), "2026.2", replay))
    assert codes == {"replay_window_too_short"}


def test_refused_when_intakes_came_in_after_the_replay_started(north, dr, replay_by):
    replay = replay_by(dr)
    assert post_json(north, INTAKES, intake_body(external_id="LATE-1")).status_code == 201
    codes = _refusal_codes(_activate(officer("so.north"), "2026.2", replay))
    assert codes == {"intakes_not_replayed"}


def test_refused_for_the_safety_officer_who_started_the_replay(dr, replay_by):
    so = officer("so.north")
    replay = replay_by(so)
    assert _refusal_codes(_activate(so, "2026.2", replay)) == {"four_eyes"}


def test_a_rollback_needs_each_under_triage_class_acknowledged(north, dr, replay_by):
    so, second = officer("so.north"), officer("so2.north")
    forward = replay_by(dr)
    assert _activate(so, "2026.2", forward).status_code == 201
    store_history(north, random_intakes=25, seed=14)  # decided under 2026.2

    back = replay_by(dr, "2026.1")
    assert back["summary"]["under_triaged"] > 0
    acks = _acks(back["summary"])
    assert acks
    assert _refusal_codes(_activate(second, "2026.1", back)) == {"under_triage_not_acknowledged"}
    if len(acks) > 1:  # every class, not only some
        partly = _activate(second, "2026.1", back, acknowledgements=acks[1:])
        assert _refusal_codes(partly) == {"under_triage_not_acknowledged"}
    done = _activate(second, "2026.1", back, acknowledgements=acks)
    assert done.status_code == 201, done.content
    assert (
        post_json(north, INTAKES, intake_body(external_id="AFTER-ROLLBACK")).json()["assessment"][
            "ruleset_version"
        ]
        == "2026.1"
    )
