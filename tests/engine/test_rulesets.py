"""The rulesets side by side: the registry, how a caller names a version, and each version's
data (rules in order, changes, hazard log) against the SPEC documents."""

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clinical_contract import spec_text
from tests.engine import spec
from tests.engine.builders import ADULT_AGE, baseline_answers
from tests.engine.strategies import ages, changed, intake_answers
from triage.engine import (
    LATEST,
    RULES,
    RULESET_VERSION,
    RULESETS,
    Ruleset,
    UnknownRuleset,
    advice_for,
    evaluate,
    ruleset,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
CHANGES_SPEC = spec_text("2026.2")

# --- The registry -------------------------------------------------------------------------


def test_the_engine_holds_each_specified_version_oldest_first():
    assert tuple(RULESETS) == spec.VERSIONS
    released = [rules.released for rules in RULESETS.values()]
    assert released == sorted(released)
    assert all(isinstance(day, date) for day in released)
    assert LATEST is RULESETS[spec.VERSIONS[-1]]


def test_release_dates():
    assert RULESETS["2026.1"].released == date(2026, 1, 1)
    assert RULESETS["2026.2"].released == date(2026, 6, 1)


@pytest.mark.parametrize("version", spec.VERSIONS)
def test_a_version_is_found_by_name_and_names_itself(version):
    assert ruleset(version) is RULESETS[version]
    assert ruleset(version).version == version


@pytest.mark.parametrize("version", ["2026.3", "2025.9", "", "latest", None])
def test_an_unknown_version_is_a_plain_engine_error(version):
    with pytest.raises(UnknownRuleset):
        ruleset(version)
    with pytest.raises(ValueError, match="no ruleset"):
        evaluate(baseline_answers(), ADULT_AGE, ruleset=version)
    with pytest.raises(UnknownRuleset):
        advice_for(baseline_answers(), ADULT_AGE, "home_care", ruleset=version)


def test_the_registry_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        RULESETS["2026.3"] = LATEST  # type: ignore[index]


# --- Naming a version ---------------------------------------------------------------------


@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_without_a_ruleset_evaluate_means_the_default_version(answers, age):
    assert RULESET_VERSION == spec.RULESET_VERSION
    default = evaluate(answers, age)
    assert default.ruleset_version == RULESET_VERSION
    assert default == evaluate(answers, age, ruleset=RULESET_VERSION)


@SETTINGS
@given(answers=intake_answers(), age=ages, version=st.sampled_from(spec.VERSIONS))
def test_a_version_is_named_by_its_string_or_its_ruleset(answers, age, version):
    by_name = evaluate(answers, age, ruleset=version)
    assert by_name.ruleset_version == version
    assert by_name == evaluate(answers, age, ruleset=RULESETS[version])
    assert by_name == RULESETS[version].evaluate(answers, age)


@SETTINGS
@given(
    answers=intake_answers(),
    age=ages,
    version=st.sampled_from(spec.VERSIONS),
    disposition=st.sampled_from(spec.DISPOSITIONS),
)
def test_advice_for_a_disposition_is_the_versions_advice(answers, age, version, disposition):
    advice = advice_for(answers, age, disposition, ruleset=version)
    assert advice == RULESETS[version].advice_for(answers, age, disposition)
    decision = evaluate(answers, age, ruleset=version)
    assert advice_for(answers, age, decision.disposition, ruleset=version) == decision.advice
    for code in spec.SAFETY_NET:
        assert code in [item.code for item in advice]


# --- Each version's rules -----------------------------------------------------------------


@pytest.mark.parametrize("version", spec.VERSIONS)
def test_each_version_runs_the_spec_rules_in_its_order(version):
    assert RULESETS[version].order == spec.RULE_ORDER[version]
    for rule in RULESETS[version].rules:
        expected = spec.RULE_TABLE[rule.id]
        assert (rule.disposition, rule.urgency) == expected.outcome
        assert set(rule.services) == expected.services
        assert set(rule.imaging) == expected.imaging


def test_the_default_rule_table_is_2026_1s():
    assert RULESETS[RULESET_VERSION].rules == RULES


def test_2026_2_is_2026_1_with_r4_replaced():
    old, new = RULESETS["2026.1"], RULESETS["2026.2"]
    for rule in new.rules:
        assert (rule is old.rule(rule.id)) is (rule.id != "R4")
    r4 = new.rule("R4").condition
    for item in spec.RISK_FACTOR_WEAK_FLAGS:
        assert item in r4
    assert "age at onset" in r4
    assert old.advice is new.advice


@pytest.mark.parametrize("version", spec.VERSIONS)
@SETTINGS
@given(data=st.data(), answers=intake_answers(), age=ages)
def test_a_rule_depends_on_no_answer_beyond_those_it_reads(version, data, answers, age):
    """Each rule names the answers it reads (watch_for re-evaluates only the rules that read a
    changed answer): changing any other answer never changes whether it holds, nor its words."""
    before = evaluate(answers, age, ruleset=version)
    for field, values in ANSWER_VALUES.items():
        value = data.draw(values, label=field)
        after = evaluate(changed(answers, **{field: value}), age, ruleset=version)
        for rule in RULESETS[version].rules:
            if field not in rule.check.reads:
                assert reason(before, rule.id) == reason(after, rule.id), (rule.id, field, value)


def reason(decision, rule_id: str) -> str | None:
    return next((r.text for r in decision.reasons if r.rule_id == rule_id), None)


# Every value each answer field can take (SPEC §2).
ANSWER_VALUES = {
    **dict.fromkeys(spec.BOOLEAN_FIELDS, st.booleans()),
    **dict.fromkeys(spec.RED_FLAG_ITEMS, st.sampled_from(spec.RED_FLAG_ANSWERS)),
    "leg_weakness": st.sampled_from(spec.LEG_WEAKNESS),
    "trauma": st.sampled_from(spec.TRAUMA),
    "pain_duration_days": st.integers(*spec.PAIN_DURATION_RANGE),
    "pain_score": st.integers(*spec.PAIN_SCORE_RANGE),
    "prior_episodes_12m": st.integers(*spec.PRIOR_EPISODES_RANGE),
    "suspected_triggers": st.lists(st.sampled_from(spec.TRIGGERS), unique=True),
    "inflammatory_features": st.lists(st.sampled_from(spec.INFLAMMATORY_FEATURES), unique=True),
    "startback": st.fixed_dictionaries(
        {
            **dict.fromkeys(spec.STARTBACK_ITEMS, st.booleans()),
            "bothersomeness": st.sampled_from(spec.BOTHERSOMENESS),
        }
    ),
}


# --- Changes and hazard logs --------------------------------------------------------------


def test_2026_1_has_no_changes():
    assert RULESETS["2026.1"].changes == ()


def test_2026_2s_changes_name_the_hazards_and_rules_the_spec_names():
    headings = re.findall(r"^## (C\d)\. .*\((.*)\)$", CHANGES_SPEC, re.MULTILINE)
    expected = [
        (change, tuple(re.findall(r"H-\d\d", why)), tuple(re.findall(r"\b[EURSP]\d\b", why)))
        for change, why in headings
    ]
    changes = RULESETS["2026.2"].changes
    assert [(c.id, c.hazards, c.rules) for c in changes] == expected
    assert all(change.summary.strip() for change in changes)


def _spec_hazard_log() -> list[tuple[str, str, tuple[str, ...]]]:
    """SPEC-2026.2's hazard log, as plain text (no backticks, hyphens for en dashes)."""
    rows = re.findall(r"^\| (H-\d\d) \| (.*) \| (.*) \|$", CHANGES_SPEC, re.MULTILINE)
    plain = str.maketrans({"`": None, "\u2013": "-"})
    return [
        (hazard, text, tuple(control.translate(plain) for control in controls.split(", ")))
        for hazard, text, controls in rows
    ]


def test_2026_2s_hazard_log_is_the_spec_log():
    log = [(h.id, h.hazard, h.controlled_by) for h in RULESETS["2026.2"].hazards]
    assert log == _spec_hazard_log()


def test_2026_1s_hazard_log_is_2026_2s_without_what_2026_2_added():
    old = {h.id: h for h in RULESETS["2026.1"].hazards}
    new = {h.id: h for h in RULESETS["2026.2"].hazards}
    assert [h.id for h in RULESETS["2026.1"].hazards] == list(new)
    for hazard_id, hazard in old.items():
        assert hazard.hazard == new[hazard_id].hazard
        assert hazard.controlled_by, hazard_id
        for control in hazard.controlled_by:
            assert not re.search(r"\bC\d\b", control), (hazard_id, control)
            assert "watch_for" not in control
    # The controls 2026.2's changes brought (C2's R4 for H-07, C4's watch_for).
    assert old["H-07"].controlled_by == ("E3", "U2")
    assert old["H-08"].controlled_by == ("R4", "R5")
    assert old["H-10"].controlled_by == ("advice",)
    assert old["H-03"].controlled_by == ("E3", "U4", "U5")


@pytest.mark.parametrize("version", spec.VERSIONS)
def test_a_ruleset_is_a_value_of_its_own(version):
    rules = RULESETS[version]
    assert isinstance(rules, Ruleset)
    with pytest.raises(AttributeError):
        rules.version = "2099.1"  # type: ignore[misc]


# --- grade: the outcome alone, as a replay compares it --------------------------------------


@pytest.mark.parametrize("version", list(RULESETS))
@SETTINGS
@given(answers=intake_answers(), age=ages)
def test_grade_is_evaluates_outcome_and_rules(version, answers, age):
    rules = ruleset(version)
    decision = rules.evaluate(answers, age)
    graded = rules.grade(answers, age)
    assert graded.disposition == decision.disposition
    assert graded.urgency == decision.urgency
    assert graded.service == decision.service
    assert graded.imaging == decision.imaging
    assert graded.rule_ids == decision.rule_ids
