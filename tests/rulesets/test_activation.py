"""Activating a ruleset version under governance (issue 13 §4): who may, and each condition
that must hold, one test each.

The replays here are Replay rows made as the replay worker leaves a finished one
(tests/rulesets/helpers.py: finished_replay); the replay itself is tested in tests/replays/.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import AuditEvent, Event
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.referrals.helpers import frozen_now
from tests.rulesets.helpers import (
    ACTIVATIONS,
    OVER,
    RULESETS,
    SAME,
    UNDER,
    acknowledged,
    activate,
    errors_by_field,
    finished_replay,
    officer,
)
from triage.models import RulesetActivation

TWO_DAYS = timedelta(days=2)


@pytest.fixture
def desk(db):
    """North's reception system, north on 2026.1 with a few intakes."""
    client = key_client("north")
    for n in range(3):
        assert post_json(client, INTAKES, intake_body(external_id=f"A-{n}")).status_code == 201
    return client


@pytest.fixture
def so(desk):
    return officer("so.north")


def _replay(**kwargs):
    matrix = [(*UNDER, 2), (*OVER, 1), (*SAME, 3)]
    return finished_replay(matrix=kwargs.pop("matrix", matrix), **kwargs)


def _refused(response) -> dict[str, set[str]]:
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "activation_refused"
    return errors_by_field(response)


def _activated(client) -> bool:
    """Whether `client` activates 2026.2 on a fresh replay with its one class acknowledged."""
    return (
        activate(client, "2026.2", _replay(), acknowledgements=acknowledged(UNDER)).status_code
        == 201
    )


def _version_of_next_intake(desk, external_id: str = "NEXT-1") -> str:
    response = post_json(desk, INTAKES, intake_body(external_id=external_id))
    assert response.status_code == 201, response.content
    return response.json()["assessment"]["ruleset_version"]


# Activating -------------------------------------------------------------------------------


def test_a_safety_officer_activates_a_version_replayed_by_someone_else(desk, so):
    replay = _replay()

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == "2026.2"
    assert body["branch"] == "north"
    assert body["activated_by"] == "so.north"
    assert body["replay"] == str(replay.id)
    assert body["status"] == "active"
    assert body["acknowledgements"] == acknowledged(UNDER)
    stored = RulesetActivation.objects.get(pk=body["id"])
    assert (stored.version, stored.activated_by.username, stored.replay_id) == (
        "2026.2",
        "so.north",
        replay.id,
    )


def test_the_next_intake_is_decided_under_the_activated_version_and_earlier_ones_keep_theirs(
    desk, so
):
    earlier = desk.get(INTAKES).json()["results"]
    assert _activated(so)

    assert _version_of_next_intake(desk) == "2026.2"
    for intake in earlier:
        detail = desk.get(f"{INTAKES}{intake['id']}/").json()
        assert detail["assessment"]["ruleset_version"] == "2026.1"
        assert "watch_for" not in detail["assessment"]


def test_effective_from_defaults_to_now(desk, so):
    before = timezone.now()

    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    effective_from = RulesetActivation.objects.get(pk=response.json()["id"]).effective_from
    assert before <= effective_from <= timezone.now()


def test_a_later_effective_from_waits_and_then_decides(desk, so):
    later = timezone.now() + TWO_DAYS

    response = activate(
        so,
        "2026.2",
        _replay(),
        acknowledgements=acknowledged(UNDER),
        effective_from=later.isoformat(),
    )

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert _version_of_next_intake(desk, "BEFORE-1") == "2026.1"
    listed = {row["version"]: row for row in desk.get(RULESETS).json()}
    assert listed["2026.1"]["active"] is True
    assert listed["2026.2"]["pending"]["id"] == response.json()["id"]
    with frozen_now(later + timedelta(seconds=1)):
        assert _version_of_next_intake(desk, "AFTER-1") == "2026.2"


def test_a_replay_without_under_triage_needs_no_acknowledgement(desk, so):
    response = activate(so, "2026.2", _replay(matrix=[(*OVER, 1), (*SAME, 3)]))

    assert response.status_code == 201, response.content


def test_a_replay_from_the_command_line_names_no_one_and_may_back_an_activation(desk, so):
    replay = _replay(started_by=None)

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert response.status_code == 201, response.content


def test_rolling_back_is_activating_the_older_version_under_the_same_rules(desk, so):
    assert _activated(so)
    assert _version_of_next_intake(desk, "ON-2") == "2026.2"
    back = _replay(version="2026.1", matrix=[(*SAME, 4)])

    response = activate(so, "2026.1", back)

    assert response.status_code == 201, response.content
    assert _version_of_next_intake(desk, "BACK-1") == "2026.1"


def test_the_activation_is_in_the_change_feed_without_patient_data(desk, so):
    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    events = [e for e in desk.get("/api/v1/events/").json()["results"]
              if e["type"] == "ruleset.activated"]  # fmt: skip
    assert len(events) == 1
    (event,) = events
    assert event["patient_id"] is event["intake_id"] is event["referral_id"] is None
    assert event["data"]["version"] == "2026.2"
    assert event["data"]["previous_version"] == "2026.1"
    assert event["data"]["activation"] == response.json()["id"]
    stored = RulesetActivation.objects.get(pk=response.json()["id"])
    assert event["data"]["effective_from"] == stored.effective_from.isoformat()


def test_the_activation_is_audited(desk, so):
    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    record = AuditEvent.objects.get(action="ruleset.activate")
    assert (record.actor, record.role, record.outcome) == ("user:so.north", "safety_officer",
                                                           "allowed")  # fmt: skip
    assert record.object_ids == [response.json()["id"]]


# Who may ----------------------------------------------------------------------------------


def test_a_clinic_admin_grants_the_safety_officer_role_like_any_other(desk):
    admin = staff_client("admin.north", "north", "clinic_admin")

    granted = post_json(admin, "/api/v1/staff-roles/", {"username": "new.so",
                                                         "role": "safety_officer"})  # fmt: skip

    assert granted.status_code == 201, granted.content
    assert granted.json()["role"] == "safety_officer"
    new_officer = APIClient()
    new_officer.force_login(get_user_model().objects.get(username="new.so"))
    assert _activated(new_officer)


@pytest.mark.parametrize("role", ["clinician", "clinic_admin", "reception"])
def test_other_staff_of_the_branch_may_not_activate(desk, role):
    client = staff_client(f"{role}.north", "north", role)

    response = activate(client, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    assert response.status_code == 403
    assert not RulesetActivation.objects.filter(version="2026.2").exists()


def test_an_api_key_may_not_activate(desk):
    response = activate(desk, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    assert response.status_code == 403


def test_a_refused_activation_is_audited_as_denied(desk):
    client = staff_client("dr.north", "north", "clinician")

    activate(client, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    record = AuditEvent.objects.get(action="ruleset.activate")
    assert (record.status_code, record.outcome) == (403, "denied")


def test_a_safety_officer_of_another_branch_cannot_use_this_branch_s_replay(desk):
    elsewhere = officer("so.south", "south")

    response = activate(elsewhere, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"replay_unknown"}}


def test_an_unknown_version_is_404(desk, so):
    response = activate(so, "2099.1", _replay(), acknowledgements=acknowledged(UNDER))

    assert response.status_code == 404


# Each condition, refused --------------------------------------------------------------------


def test_refused_for_a_replay_of_another_version(desk, so):
    response = activate(
        so, "2026.2", _replay(version="2026.1"), acknowledgements=acknowledged(UNDER)
    )

    assert _refused(response) == {"replay": {"replay_of_another_version"}}


@pytest.mark.parametrize("status", ["running", "failed"])
def test_refused_for_a_replay_that_is_not_done(desk, so, status):
    response = activate(so, "2026.2", _replay(status=status), acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"replay_not_done"}}


def test_refused_for_a_replay_that_finished_more_than_seven_days_ago(db):
    eight_days_ago = timezone.now() - timedelta(days=8)
    with frozen_now(eight_days_ago - timedelta(days=1)):
        desk = key_client("north")
        assert post_json(desk, INTAKES, intake_body(external_id="OLD-1")).status_code == 201
    replay = _replay(created_at=eight_days_ago - timedelta(hours=1), finished_at=eight_days_ago)

    response = activate(officer("so.north"), "2026.2", replay,
                        acknowledgements=acknowledged(UNDER))  # fmt: skip

    assert _refused(response) == {"replay": {"replay_stale"}}


def test_refused_for_a_replay_whose_window_starts_within_the_last_90_days(desk, so):
    replay = _replay(submitted_after=timezone.now() - timedelta(days=89))

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"replay_window_too_short"}}


def test_refused_for_a_replay_whose_window_ends_before_now(desk, so):
    replay = _replay(submitted_before=timezone.now() - timedelta(seconds=1))

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"replay_window_too_short"}}


def test_refused_when_an_intake_came_in_after_the_replay_started(desk, so):
    replay = _replay()
    assert post_json(desk, INTAKES, intake_body(external_id="LATE-1")).status_code == 201

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"intakes_not_replayed"}}


def test_refused_when_the_replay_missed_an_intake_of_its_window(desk, so):
    replay = _replay(intakes=2)  # of the three the branch holds

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"intakes_not_replayed"}}


def test_refused_for_an_under_triage_class_without_an_acknowledgement(desk, so):
    response = activate(so, "2026.2", _replay())

    assert _refused(response) == {"acknowledgements": {"under_triage_not_acknowledged"}}


@pytest.mark.parametrize("rationale", ["", "   "])
def test_refused_for_an_acknowledgement_without_a_rationale(desk, so, rationale):
    acknowledgements = acknowledged(UNDER, rationale=rationale)

    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledgements)

    assert _refused(response) == {"acknowledgements": {"under_triage_not_acknowledged"}}


def test_refused_for_an_acknowledgement_of_a_class_that_is_not_under_triage(desk, so):
    acknowledgements = acknowledged(UNDER, OVER)

    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledgements)

    assert _refused(response) == {"acknowledgements": {"not_under_triage"}}


def test_refused_for_the_safety_officer_who_started_the_replay(desk, so):
    replay = _replay(started_by="so.north")

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"replay": {"four_eyes"}}


def test_refused_while_another_activation_is_pending(desk, so):
    later = (timezone.now() + TWO_DAYS).isoformat()
    first = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER),
                     effective_from=later)  # fmt: skip
    assert first.status_code == 201

    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER))

    assert _refused(response) == {"version": {"activation_pending"}}


def test_refused_for_the_version_already_active(desk, so):
    response = activate(so, "2026.1", _replay(version="2026.1", matrix=[(*SAME, 3)]))

    assert _refused(response) == {"version": {"already_active"}}


def test_refused_for_an_effective_from_after_the_replay_stops_being_fresh(desk, so):
    replay = _replay()
    too_late = replay.finished_at + timedelta(days=7, minutes=1)

    response = activate(so, "2026.2", replay, acknowledgements=acknowledged(UNDER),
                        effective_from=too_late.isoformat())  # fmt: skip

    assert _refused(response) == {"effective_from": {"effective_from_too_late"}}


def test_every_missing_condition_is_named_at_once(desk, so):
    replay = _replay(started_by="so.north", version="2026.1", status="failed")

    response = activate(so, "2026.2", replay)

    assert _refused(response) == {
        "replay": {"replay_of_another_version", "replay_not_done", "four_eyes"}
    }


def test_a_refusal_stores_nothing(desk, so):
    activations, events = RulesetActivation.objects.count(), Event.objects.count()

    activate(so, "2026.2", _replay())

    assert RulesetActivation.objects.count() == activations
    assert Event.objects.count() == events
    assert _version_of_next_intake(desk) == "2026.1"


# Bad input ----------------------------------------------------------------------------------


def test_an_effective_from_in_the_past_is_400(desk, so):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER),
                        effective_from=past)  # fmt: skip

    assert response.status_code == 400
    assert errors_by_field(response).keys() == {"effective_from"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"replay": "not-a-uuid"}, "replay"),
        ({"acknowledgements": [{"from": "x/y", "to": "home_care/routine", "rationale": "r"}]},
         "acknowledgements.0.from"),
        ({"acknowledgements": acknowledged(UNDER, UNDER)}, "acknowledgements"),
        ({"acknowledgements": [{"from": UNDER[0], "to": UNDER[1]}]},
         "acknowledgements.0.rationale"),
        ({"branch": "south"}, "branch"),
        ({"effective_from": "tomorrow"}, "effective_from"),
    ],
)  # fmt: skip
def test_bad_input_is_400_naming_the_field_and_stores_nothing(desk, so, body, field):
    replay = _replay()

    response = post_json(so, "/api/v1/rulesets/2026.2/activations/",
                         {"replay": str(replay.id), **body})  # fmt: skip

    assert response.status_code == 400, response.content
    assert field in errors_by_field(response)
    assert not RulesetActivation.objects.filter(version="2026.2").exists()


# The list -----------------------------------------------------------------------------------


def test_the_activations_are_listed_per_branch_latest_first(desk, so):
    first = activate(so, "2026.2", _replay(), acknowledgements=acknowledged(UNDER)).json()
    officer("so.south", "south")  # another branch, with its own first activation

    response = so.get(ACTIVATIONS)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["branch"] for row in rows} == {"north"}
    assert [(row["version"], row["status"]) for row in rows] == [
        ("2026.2", "active"),
        ("2026.1", "superseded"),
    ]
    assert rows[0]["id"] == first["id"]
    assert rows[1]["activated_by"] is None  # the system's, when north was made


@pytest.mark.parametrize("role", ["clinician", "clinic_admin", "safety_officer"])
def test_clinicians_admins_and_safety_officers_read_the_activations(desk, role):
    client = staff_client(f"{role}.north", "north", role)

    assert client.get(ACTIVATIONS).status_code == 200


@pytest.mark.parametrize("caller", ["key", "reception"])
def test_reception_may_not_read_the_activations(desk, caller):
    client = desk if caller == "key" else staff_client("desk.north", "north", "reception")

    assert client.get(ACTIVATIONS).status_code == 403
