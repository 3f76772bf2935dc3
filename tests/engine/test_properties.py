"""Properties that must hold for every valid intake (SPEC §1-§4 and §6, and SPEC-2026.2's C5),
under both rulesets, checked with hypothesis."""

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine import spec
from tests.engine.builders import baseline_answers
from tests.engine.strategies import (
    ages,
    changed,
    changed_startback,
    intake_answers,
    startback_answers,
)
from triage.engine import evaluate, score_startback

SETTINGS = settings(max_examples=300, deadline=None, database=None)
# Every property holds under every ruleset.
each_version = pytest.mark.parametrize("version", spec.VERSIONS)

# (c): each red-flag item's `unknown` against its negative answer.
UNKNOWN_COMPARISONS = (*((item, "no") for item in spec.RED_FLAG_ITEMS), ("trauma", "none"))


def rank(decision) -> tuple[int, int]:
    return spec.decision_rank(decision)


def positive_changes(answers: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every single-answer change that SPEC-2026.2 C5 says never lowers the outcome, and no
    other: not age, not the duration, not `unknown` -> `yes`."""
    for item in spec.RED_FLAG_ITEMS:
        if answers[item] == "no":
            yield f"{item} no -> yes", changed(answers, **{item: "yes"})
            yield f"{item} no -> unknown", changed(answers, **{item: "unknown"})
    weakness = spec.LEG_WEAKNESS.index(answers["leg_weakness"])
    for worse in spec.LEG_WEAKNESS[weakness + 1 :]:
        yield f"leg_weakness -> {worse}", changed(answers, leg_weakness=worse)
    if answers["trauma"] in spec.TRAUMA_SEVERITY:
        trauma = spec.TRAUMA_SEVERITY.index(answers["trauma"])
        for worse in spec.TRAUMA_SEVERITY[trauma + 1 :]:
            yield f"trauma -> {worse}", changed(answers, trauma=worse)
    if answers["trauma"] == "none":
        yield "trauma none -> unknown", changed(answers, trauma="unknown")
    for field in spec.MONOTONIC_BOOLEANS:
        if not answers[field]:
            yield f"{field} true", changed(answers, **{field: True})
    for item in spec.STARTBACK_ITEMS:
        if not answers["startback"][item]:
            yield f"startback {item} true", changed_startback(answers, **{item: True})
    bother = spec.BOTHERSOMENESS.index(answers["startback"]["bothersomeness"])
    for worse in spec.BOTHERSOMENESS[bother + 1 :]:
        yield f"bothersomeness -> {worse}", changed_startback(answers, bothersomeness=worse)
    features = list(answers.get("inflammatory_features") or [])
    for feature in spec.INFLAMMATORY_FEATURES:
        if feature not in features:
            yield f"add {feature}", changed(answers, inflammatory_features=[*features, feature])
    episodes = answers["prior_episodes_12m"]
    for more in sorted({episodes + 1, episodes + 3, spec.PRIOR_EPISODES_RANGE[1]}):
        if episodes < more <= spec.PRIOR_EPISODES_RANGE[1]:
            yield f"prior_episodes_12m -> {more}", changed(answers, prior_episodes_12m=more)


# --- (a) every valid intake gets a well-formed decision -----------------------------------


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_every_valid_intake_gets_a_well_formed_decision(version, answers, age):
    decision = evaluate(answers, age, ruleset=version)

    assert len(decision.reasons) >= 1
    stratified = [rule_id for rule_id in decision.rule_ids if rule_id in spec.STRATIFIED_RULES]
    assert len(stratified) == 1

    assert decision.disposition in spec.DISPOSITIONS
    assert decision.urgency in spec.URGENCIES
    assert decision.service in spec.SERVICES
    assert decision.imaging in spec.IMAGING
    if decision.disposition in ("home_care", "physiotherapy"):
        assert decision.urgency == "routine"
    if decision.disposition != "medical_referral":
        assert decision.imaging == "none"

    codes = [item.code for item in decision.advice]
    for code in spec.SAFETY_NET:
        assert code in codes
    assert set(codes) <= set(spec.ADVICE_CODES)
    assert len(codes) == len(set(codes))

    for flag in decision.red_flags:
        assert flag.level in spec.RED_FLAG_LEVELS


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_reasons_are_the_fired_rules_in_rule_table_order(version, answers, age):
    decision = evaluate(answers, age, ruleset=version)
    positions = [spec.RULE_ORDER[version].index(rule_id) for rule_id in decision.rule_ids]
    assert positions == sorted(set(positions))


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_outcome_is_the_highest_of_the_fired_rules_and_the_first_of_those_sets_service(
    version, answers, age
):
    decision = evaluate(answers, age, ruleset=version)
    outcomes = [spec.RULE_TABLE[rule_id].outcome for rule_id in decision.rule_ids]
    highest = max(outcomes, key=lambda pair: spec.rank(*pair))
    assert (decision.disposition, decision.urgency) == highest
    deciding = decision.rule_ids[outcomes.index(highest)]
    assert decision.service in spec.RULE_TABLE[deciding].services
    assert decision.imaging in spec.RULE_TABLE[deciding].imaging


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_fired_rules_and_outcome_match_the_spec_rule_table(version, answers, age):
    decision = evaluate(answers, age, ruleset=version)
    assert decision.rule_ids == spec.expected_rule_ids(answers, age, version)
    expected = spec.expected_outcome(answers, age, version)
    assert (decision.disposition, decision.urgency, decision.service, decision.imaging) == expected


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_advice_follows_the_answers_it_depends_on(version, answers, age):
    decision = evaluate(answers, age, ruleset=version)
    codes = {item.code for item in decision.advice}
    triggers = set(answers.get("suspected_triggers") or ())
    if answers["pain_score"] >= 7:
        assert "pain_relief" in codes
    assert ("hydration" in codes) is ("dehydration" in triggers or answers["spasm_present"])
    assert ("posture" in codes) is bool(triggers & {"prolonged_posture", "lifting_or_twisting"})
    assert ("stress" in codes) is ("stress" in triggers)


# --- (b) monotonicity ---------------------------------------------------------------------


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_adding_a_positive_finding_never_lowers_the_outcome(version, answers, age):
    before = rank(evaluate(answers, age, ruleset=version))
    for change, new_answers in positive_changes(answers):
        after = rank(evaluate(new_answers, age, ruleset=version))
        assert after >= before, f"{change} lowered the outcome from {before} to {after}"


@each_version
@pytest.mark.parametrize("days", [5, 30, 43, 100])
@pytest.mark.parametrize("age", [10, 19, 40, 55, 75])
def test_every_pair_of_findings_near_the_baseline_is_monotonic(version, age, days):
    """Exhaustively: from the baseline and from every one-finding patient, each further
    positive finding keeps or raises the outcome, and `unknown` is never below `no`."""
    baseline = baseline_answers(pain_duration_days=days)
    states = [("baseline", baseline), *positive_changes(baseline)]
    assert len(states) > 40
    for label, answers in states:
        before = rank(evaluate(answers, age, ruleset=version))
        for change, new_answers in positive_changes(answers):
            after = rank(evaluate(new_answers, age, ruleset=version))
            assert after >= before, f"{label}, then {change}: {before} -> {after}"
        for item, negative in UNKNOWN_COMPARISONS:
            if answers[item] != negative:
                continue
            unknown = rank(evaluate(changed(answers, **{item: "unknown"}), age, ruleset=version))
            assert unknown >= before, f"{label}, then {item} unknown: {before} -> {unknown}"


# --- (c) an unknown red-flag answer never counts as no ------------------------------------


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_unknown_red_flag_answer_never_gives_a_lower_outcome_than_no(version, answers, age):
    for item, negative in UNKNOWN_COMPARISONS:
        answered_no = rank(evaluate(changed(answers, **{item: negative}), age, ruleset=version))
        unknown = rank(evaluate(changed(answers, **{item: "unknown"}), age, ruleset=version))
        assert unknown >= answered_no, f"{item} unknown {unknown} < {negative} {answered_no}"


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages, item=st.sampled_from(spec.CALLBACK_ITEMS))
def test_unknown_emergency_or_urgent_item_is_at_least_an_urgent_referral(
    version, answers, age, item
):
    decision = evaluate(changed(answers, **{item: "unknown"}), age, ruleset=version)
    assert "U5" in decision.rule_ids
    assert rank(decision) >= spec.rank("medical_referral", "urgent")


# --- Inputs that only shape the advice ----------------------------------------------------


@each_version
@SETTINGS
@given(
    answers=intake_answers(),
    age=ages,
    pain_score=st.integers(*spec.PAIN_SCORE_RANGE),
    triggers=st.lists(st.sampled_from(spec.TRIGGERS), unique=True),
)
def test_pain_score_and_triggers_never_change_the_triage(
    version, answers, age, pain_score, triggers
):
    first = evaluate(answers, age, ruleset=version)
    second = evaluate(
        changed(answers, pain_score=pain_score, suspected_triggers=triggers), age, ruleset=version
    )
    assert second.rule_ids == first.rule_ids
    assert (second.disposition, second.urgency, second.service, second.imaging) == (
        first.disposition,
        first.urgency,
        first.service,
        first.imaging,
    )


# --- (d) determinism ----------------------------------------------------------------------


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_evaluation_is_deterministic_and_leaves_the_answers_unchanged(version, answers, age):
    original = copy.deepcopy(answers)
    first = evaluate(answers, age, ruleset=version).as_dict()
    second = evaluate(answers, age, ruleset=version).as_dict()
    assert first == second
    assert answers == original
    assert evaluate(copy.deepcopy(original), age, ruleset=version).as_dict() == first


# --- (e) STarT Back scoring ---------------------------------------------------------------


@SETTINGS
@given(items=startback_answers())
def test_startback_scores_are_in_range_and_risk_follows_the_thresholds(items):
    scores = score_startback(items)
    assert 0 <= scores.total <= 9
    assert 0 <= scores.psychosocial <= 5
    assert scores.psychosocial <= scores.total
    assert scores.risk in spec.RISKS
    if scores.psychosocial >= 4:
        assert scores.risk == "high"
        assert scores.total >= 4
    elif scores.total >= 4:
        assert scores.risk == "medium"
    else:
        assert scores.total <= 3
        assert scores.risk == "low"
    assert (scores.total, scores.psychosocial, scores.risk) == spec.startback_scores(items)


@each_version
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_decision_carries_the_startback_score_and_its_stratified_rule(version, answers, age):
    decision = evaluate(answers, age, ruleset=version)
    expected = spec.startback_scores(answers["startback"])
    assert (
        decision.startback.total,
        decision.startback.psychosocial,
        decision.startback.risk,
    ) == expected
    stratified_rule = {"high": "S1", "medium": "S2", "low": "S3"}[expected[2]]
    assert stratified_rule in decision.rule_ids
