"""Decisions under ruleset 2026.2 through the public API: every worked example of
vignettes-2026.2.json, stored and evaluated, and `watch_for` in the care plan (printed under
"Come back at once if", before the general advice)."""

import pytest

from tests.api.helpers import EVALUATE, INTAKES, post_json, vignette_body, vignette_outcome
from tests.clinical_contract import vignettes
from tests.conftest import intake_body, key_client, staff_client
from tests.rulesets.test_which_ruleset_decides import CANCER_HISTORY

VIGNETTES = vignettes("2026.2")
HEADING = "Come back at once if"


@pytest.fixture
def desk(db):
    """A reception system of a branch on 2026.2."""
    return key_client("east", ruleset="2026.2")


def _outcome(decision: dict) -> dict:
    return {
        **vignette_outcome(decision),
        "watch_for": [
            {"finding": entry["finding"], "urgency": entry["urgency"]}
            for entry in decision["watch_for"]
        ],
    }


def test_every_2026_2_vignette_is_here():
    assert len(VIGNETTES) == 26
    assert all("watch_for" in vignette["expected"] for vignette in VIGNETTES)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_a_stored_intake_on_a_2026_2_branch_gets_the_expected_decision(desk, vignette):
    response = post_json(desk, INTAKES, vignette_body(vignette))

    assert response.status_code == 201, response.json()
    assert response.json()["assessment"]["ruleset_version"] == "2026.2"
    assert _outcome(response.json()["assessment"]) == vignette["expected"]
    detail = desk.get(f"{INTAKES}{response.json()['id']}/")
    assert _outcome(detail.json()["assessment"]) == vignette["expected"]


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_an_evaluation_under_2026_2_gets_the_expected_decision(api, vignette):
    # `api` is a branch on 2026.1: the what-if asks for 2026.2 by name.
    response = post_json(api, f"{EVALUATE}?ruleset=2026.2", vignette_body(vignette))

    assert response.status_code == 200, response.json()
    assert response.json()["ruleset_version"] == "2026.2"
    assert _outcome(response.json()) == vignette["expected"]


# The care plan ------------------------------------------------------------------------------


def _intake(client, **answers) -> dict:
    response = post_json(client, INTAKES, intake_body(external_id="CP-1", **answers))
    assert response.status_code == 201, response.content
    return response.json()


def test_the_care_plan_of_a_2026_2_decision_carries_its_watch_for(desk):
    intake = _intake(desk, **CANCER_HISTORY)

    plan = desk.get(f"{INTAKES}{intake['id']}/care-plan/").json()

    assert plan["ruleset_version"] == "2026.2"
    assert plan["watch_for"] == intake["assessment"]["watch_for"]
    assert [entry["finding"] for entry in plan["watch_for"]] == [
        "bladder_bowel_change",
        "saddle_numbness",
        "sexual_dysfunction_new",
        "leg_weakness",
        "bilateral_leg_symptoms",
        "leg_numbness",
    ]


def test_the_printed_care_plan_lists_watch_for_under_its_heading_before_the_advice(desk):
    intake = _intake(desk)  # home care: the whole self-care plan, and much to come back for
    assert intake["assessment"]["watch_for"]

    page = desk.get(f"{INTAKES}{intake['id']}/care-plan/print/").content.decode()

    advice = page.index("Looking after yourself")
    assert page.index(HEADING) < advice < page.index("When to get help")
    section = page[page.index(HEADING) : advice]
    for entry in intake["assessment"]["watch_for"]:
        assert entry["text"] in section


def test_a_2026_1_decision_has_no_watch_for_in_its_care_plan(api):
    intake = _intake(api, **CANCER_HISTORY)

    plan = api.get(f"{INTAKES}{intake['id']}/care-plan/").json()
    page = api.get(f"{INTAKES}{intake['id']}/care-plan/print/").content.decode()

    assert plan["ruleset_version"] == "2026.1"
    assert "watch_for" not in plan
    assert HEADING not in page


def test_an_emergency_has_nothing_to_come_back_for(desk):
    intake = _intake(desk, saddle_numbness="yes")

    plan = desk.get(f"{INTAKES}{intake['id']}/care-plan/").json()
    page = desk.get(f"{INTAKES}{intake['id']}/care-plan/print/").content.decode()

    assert plan["urgency"] == "emergency"
    assert plan["watch_for"] == []
    assert HEADING not in page


def test_a_review_that_raises_the_urgency_leaves_out_what_is_no_longer_higher(desk):
    intake = _intake(desk, **CANCER_HISTORY)  # urgent: every entry is an emergency
    clinician = staff_client("dr.east", "east", "clinician")
    review = {
        "disposition": "medical_referral",
        "urgency": "emergency",
        "service": "emergency_department",
        "reason": "Seen in clinic: worse today.",
    }
    assert post_json(clinician, f"{INTAKES}{intake['id']}/review/", review).status_code == 201

    plan = desk.get(f"{INTAKES}{intake['id']}/care-plan/").json()

    assert (plan["decided_by"], plan["urgency"]) == ("review", "emergency")
    assert plan["watch_for"] == []
