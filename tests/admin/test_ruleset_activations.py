"""Ruleset activations in the admin: read only, for the branch's clinicians, clinic admins and
safety officers, and only their branches'."""

import pytest

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.rulesets.helpers import UNDER, acknowledged, activate, finished_replay, officer
from triage.models import RulesetActivation

ACTIVATIONS = "/admin/triage/rulesetactivation/"


@pytest.fixture
def activated(db) -> RulesetActivation:
    """North moved to 2026.2 by its safety officer (the replay: a Replay row as the replay
    worker leaves a finished one); south on its first activation only."""
    key_client("north")
    key_client("south")
    replay = finished_replay("north", matrix=[(*UNDER, 1)])
    body = acknowledged(UNDER, rationale="Physiotherapy sees them within the week.")
    response = activate(officer("so.north"), "2026.2", replay, acknowledgements=body)
    assert response.status_code == 201, response.content
    return RulesetActivation.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("role", ["clinician", "clinic_admin", "safety_officer"])
def test_the_branch_s_governance_readers_see_its_activations_only(activated, role):
    browser = staff_client(f"{role}.admin", "north", role)

    page = browser.get(ACTIVATIONS)

    assert page.status_code == 200
    shown = {str(row.pk) for row in page.context["cl"].result_list}
    north = RulesetActivation.objects.filter(branch__slug="north")
    assert shown == {str(pk) for pk in north.values_list("pk", flat=True)}


def test_reception_does_not_see_activations(activated):
    browser = staff_client("desk.admin", "north", "reception")

    assert browser.get(ACTIVATIONS).status_code == 403


def test_an_activation_shows_who_when_the_replay_and_each_rationale(activated):
    browser = staff_client("dr.admin", "north", "clinician")

    page = browser.get(f"{ACTIVATIONS}{activated.pk}/change/").content.decode()

    assert "so.north" in page
    assert "2026.2" in page
    assert "Physiotherapy sees them within the week." in page
    assert f"{UNDER[0]} → {UNDER[1]}" in page


def test_activations_cannot_be_added_changed_or_deleted_in_the_admin(activated):
    browser = staff_client("so.admin", "north", "safety_officer")

    assert browser.get(f"{ACTIVATIONS}add/").status_code == 403
    assert browser.post(f"{ACTIVATIONS}{activated.pk}/change/", {}).status_code == 403
    assert browser.post(f"{ACTIVATIONS}{activated.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RulesetActivation.objects.filter(pk=activated.pk).exists()


def test_an_intake_decided_under_2026_2_shows_what_the_patient_was_told_to_come_back_for(db):
    desk = key_client("east", ruleset="2026.2")
    response = post_json(desk, INTAKES, intake_body(external_id="WF-1", age=60,
                                                    cancer_history="yes"))  # fmt: skip
    browser = staff_client("dr.east", "east", "clinician")

    page = browser.get(f"/admin/triage/intake/{response.json()['id']}/change/").content.decode()

    assert "Told to come back at once if" in page
    for entry in response.json()["assessment"]["watch_for"]:
        assert entry["text"] in page
