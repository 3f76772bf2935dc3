"""Ruleset 2026.2 as SPEC-2026.2.md states it: its worked examples, each change (C1-C4) at its
boundaries, and watch_for for every intake.

Expected values come from the SPEC's vignettes, from the SPEC's words, or from the oracle in
tests/engine/spec.py; 2026.1 is asked the same questions where the change is the point.
"""

import re
from typing import Any

import pytest
from hypothesis import given, settings

from tests.clinical_contract import vignettes
from tests.engine import spec
from tests.engine.builders import ADULT_AGE, baseline_answers
from tests.engine.strategies import ages, changed, intake_answers
from triage.engine import evaluate

SETTINGS = settings(max_examples=300, deadline=None, database=None)
VIGNETTES = vignettes("2026.2")


def decide(version: str = "2026.2", age: int = ADULT_AGE, **overrides: Any):
    return evaluate(baseline_answers(**overrides), age, ruleset=version)


def watched(decision) -> list[tuple[str, str]]:
    return [(entry.finding, entry.urgency) for entry in decision.watch_for]


# --- The worked examples ------------------------------------------------------------------


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_vignette(vignette):
    decision = evaluate(vignette["answers"], vignette["age"], ruleset="2026.2")
    expected = vignette["expected"]
    assert decision.ruleset_version == "2026.2"
    assert (decision.disposition, decision.urgency) == (
        expected["disposition"],
        expected["urgency"],
    )
    assert decision.service == expected["service"]
    assert list(decision.rule_ids) == expected["rules"]
    assert decision.startback.as_dict() == expected["startback"]
    assert [dict(finding=f, urgency=u) for f, u in watched(decision)] == expected["watch_for"]


# --- C1: an unresolved answer calls back before the GP ------------------------------------

# Fever with an unknown answer to another call-back item: U4 and U5 both fire.
FEVER_AND_UNKNOWN = [item for item in spec.CALLBACK_ITEMS if item != "fever"]


@pytest.mark.parametrize("item", FEVER_AND_UNKNOWN)
def test_u4_with_u5_calls_back_under_2026_2_and_goes_to_the_gp_under_2026_1(item):
    answers = {"fever": "yes", item: "unknown"}
    new, old = decide("2026.2", **answers), decide("2026.1", **answers)
    assert new.rule_ids.index("U5") < new.rule_ids.index("U4")
    assert new.service == "clinician_callback"
    assert old.rule_ids.index("U4") < old.rule_ids.index("U5")
    assert old.service == "gp"
    assert (new.disposition, new.urgency) == (old.disposition, old.urgency)


@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_u4_and_u5_without_u1_to_u3_always_call_back(answers, age):
    decision = evaluate(answers, age, ruleset="2026.2")
    fired = decision.rule_ids
    if {"U4", "U5"} <= set(fired) and not {"U1", "U2", "U3"} & set(fired):
        if decision.urgency == "urgent":
            assert decision.service == "clinician_callback"
        assert fired.index("U5") < fired.index("U4")


# --- C2: risk factors count as weak flags -------------------------------------------------

RISK_FACTORS = spec.RISK_FACTOR_WEAK_FLAGS


@pytest.mark.parametrize("item", RISK_FACTORS)
def test_one_risk_factor_alone_is_a_weak_flag_that_changes_nothing(item):
    decision = decide(**{item: "yes"})
    assert decision.rule_ids == decide("2026.1", **{item: "yes"}).rule_ids
    assert "R4" not in decision.rule_ids
    weak = [flag for flag in decision.red_flags if flag.level == "weak"]
    assert [flag.code for flag in weak] == [item]


@pytest.mark.parametrize("item", RISK_FACTORS)
@pytest.mark.parametrize("other", [{"thoracic_pain": "yes"}, {"night_pain_unremitting": "unknown"}])
def test_a_risk_factor_and_another_weak_flag_need_a_gp_review_under_2026_2_only(item, other):
    new, old = decide(**{item: "yes"}, **other), decide("2026.1", **{item: "yes"}, **other)
    assert "R4" in new.rule_ids
    assert (new.disposition, new.urgency, new.service) == ("medical_referral", "routine", "gp")
    assert "R4" not in old.rule_ids


def test_both_risk_factors_are_two_weak_flags():
    decision = decide(**dict.fromkeys(RISK_FACTORS, "yes"))
    assert "R4" in decision.rule_ids
    assert sum(1 for flag in decision.red_flags if flag.level == "weak") == 2


@pytest.mark.parametrize("item", RISK_FACTORS)
@pytest.mark.parametrize("answer", ["no", "unknown"])
def test_a_risk_factor_counts_only_when_yes(item, answer):
    decision = decide(**{item: answer}, thoracic_pain="yes")
    assert "R4" not in decision.rule_ids


# --- C3: a first episode that began in youth ----------------------------------------------


@pytest.mark.parametrize(
    ("age", "days"),
    [
        (24, 1461),  # onset exactly 20.0: not under 20
        (24, 1462),  # onset 19.997
        (20, 1),  # onset 19.997
        (30, 3650),  # onset 20.006
        (29, 3650),  # onset 19.006
        (49, 3650),  # onset 39.0: only "from 50" or "under 20" count
    ],
)
def test_first_episode_that_began_before_20_is_a_weak_flag_by_age_at_onset(age, days):
    began_under_20 = spec.onset_age(baseline_answers(pain_duration_days=days), age) < 20
    findings = {"first_ever_episode": True, "thoracic_pain": "yes", "pain_duration_days": days}
    assert ("R4" in decide(age=age, **findings).rule_ids) is began_under_20
    assert "R4" not in decide("2026.1", age=age, **findings).rule_ids


@pytest.mark.parametrize("age", [19, 50])
def test_new_onset_under_20_or_from_50_on_the_intake_date_still_counts(age):
    decision = decide(age=age, first_ever_episode=True, thoracic_pain="yes")
    assert "R4" in decision.rule_ids


def test_onset_before_20_counts_only_for_a_first_ever_episode():
    decision = decide(age=25, pain_duration_days=3650, thoracic_pain="yes")
    assert "R4" not in decision.rule_ids


# --- C4: watch_for ------------------------------------------------------------------------


def test_spec_example_cancer_history_without_neurology():
    # SPEC-2026.2 C4's example: a 60-year-old with a history of cancer (U3, urgent).
    decision = decide(age=60, cancer_history="yes")
    assert decision.urgency == "urgent"
    assert watched(decision) == [
        ("bladder_bowel_change", "emergency"),
        ("saddle_numbness", "emergency"),
        ("sexual_dysfunction_new", "emergency"),
        ("leg_weakness", "emergency"),
        ("bilateral_leg_symptoms", "emergency"),
        ("leg_numbness", "emergency"),
    ]


@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_watch_for_lists_exactly_the_findings_that_would_raise_the_urgency(answers, age):
    """Each finding of C4's table that the patient does not have and that, added on its own,
    raises the urgency is listed, with that urgency; no other is. Highest urgency first, then
    in the table's order. Checked against the SPEC's own transcription (tests/engine/spec.py)."""
    decision = evaluate(answers, age, ruleset="2026.2")
    assert tuple(watched(decision)) == spec.expected_watch_for(answers, age)


@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_watch_for_equals_a_plain_re_evaluation_of_each_changed_answer(answers, age):
    """The engine works watch_for out with shortcuts; this is the definition, run in full."""
    decision = evaluate(answers, age, ruleset="2026.2")
    expected = []
    for row in spec.WATCH_FOR_TABLE:
        if answers[row.finding] in row.changed_from:
            urgency = evaluate(changed(answers, **{row.finding: row.to}), age, ruleset="2026.2")
            if spec.URGENCIES.index(urgency.urgency) > spec.URGENCIES.index(decision.urgency):
                expected.append((row.finding, urgency.urgency))
    expected.sort(key=lambda entry: -spec.URGENCIES.index(entry[1]))
    assert watched(decision) == expected


@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_watch_for_is_ordered_and_names_only_findings_the_patient_does_not_have(answers, age):
    decision = evaluate(answers, age, ruleset="2026.2")
    table = [row.finding for row in spec.WATCH_FOR_TABLE]
    changed_from = {row.finding: row.changed_from for row in spec.WATCH_FOR_TABLE}
    order = [(-spec.URGENCIES.index(u), table.index(f)) for f, u in watched(decision)]
    assert order == sorted(set(order))
    for entry in decision.watch_for:
        assert answers[entry.finding] in changed_from[entry.finding]
        assert spec.URGENCIES.index(entry.urgency) > spec.URGENCIES.index(decision.urgency)
    if decision.urgency == "emergency":
        assert decision.watch_for == ()


@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_only_a_2026_2_decision_carries_watch_for(answers, age):
    old = evaluate(answers, age, ruleset="2026.1")
    new = evaluate(answers, age, ruleset="2026.2")
    assert old.watch_for is None
    assert "watch_for" not in old.as_dict()
    assert new.as_dict()["watch_for"] == [entry.as_dict() for entry in new.watch_for]


def test_an_emergency_has_nothing_to_watch_for():
    decision = decide(saddle_numbness="yes")
    assert decision.urgency == "emergency"
    assert decision.watch_for == ()
    assert decision.as_dict()["watch_for"] == []


SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
# C4: what an entry tells the patient to do, by its urgency.
WHAT_TO_DO = {"emergency": "emergency department at once", "urgent": "the same day"}


@pytest.mark.parametrize(
    "overrides",
    [{}, {"cancer_history": "yes"}, {"fever": "unknown"}, {"thoracic_pain": "yes"}],
    ids=["routine", "urgent_u3", "urgent_u5", "weak_flag"],
)
def test_watch_for_text_tells_the_patient_what_to_look_for_and_what_to_do(overrides):
    decision = decide(**overrides)
    assert decision.watch_for
    texts = [entry.text for entry in decision.watch_for]
    assert len(set(texts)) == len(texts)
    for entry in decision.watch_for:
        assert WHAT_TO_DO[entry.urgency] in entry.text
        assert not SNAKE_CASE.search(entry.text), entry.text
        assert entry.as_dict() == {
            "finding": entry.finding,
            "urgency": entry.urgency,
            "text": entry.text,
        }
