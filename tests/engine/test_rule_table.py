"""The rule table the engine publishes matches SPEC §4, and its reasons are readable."""

import re

import pytest

from tests.engine import spec
from tests.engine.builders import ADULT_AGE, baseline_answers, startback_items, with_startback
from triage.engine import RULES, evaluate
from triage.engine import vocabulary as engine_vocabulary

EXPECTED_RULE_IDS = (
    "E1", "E2", "E3", "E4", "E5",
    "U1", "U2", "U3", "U4", "U5",
    "R1", "R2", "R3", "R4", "R5",
    "S1", "S2", "S3",
    "P1", "P2",
)  # fmt: skip


def test_rule_ids_are_exactly_the_spec_rules_in_order():
    assert tuple(rule.id for rule in RULES) == EXPECTED_RULE_IDS
    assert EXPECTED_RULE_IDS == spec.RULE_IDS


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_rule_has_a_condition_and_a_source(rule):
    assert isinstance(rule.condition, str) and rule.condition.strip()
    assert isinstance(rule.source, str) and rule.source.strip()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_rule_reaches_the_spec_outcome(rule):
    expected = spec.RULE_TABLE[rule.id]
    assert (rule.disposition, rule.urgency) == expected.outcome
    assert set(rule.services) == expected.services
    assert set(rule.imaging) == expected.imaging


def test_engine_vocabulary_matches_the_spec():
    assert tuple(engine_vocabulary.DISPOSITIONS) == spec.DISPOSITIONS
    assert tuple(engine_vocabulary.URGENCIES) == spec.URGENCIES
    assert set(engine_vocabulary.SERVICES) == set(spec.SERVICES)
    assert set(engine_vocabulary.IMAGING) == set(spec.IMAGING)
    assert engine_vocabulary.RULESET_VERSION == spec.RULESET_VERSION


# One patient per rule, so that every rule's reason text is checked. The union of the rules
# these fire is asserted to be the whole table.
HIGH = startback_items(psychosocial=4)
MEDIUM = startback_items(physical=4)
FEATURES = ["night_waking_second_half", "buttock_pain", "improves_with_movement"]
PATIENTS = [
    (ADULT_AGE, {"saddle_numbness": "yes", "bladder_bowel_change": "yes"}, None),
    (ADULT_AGE, {"sexual_dysfunction_new": "yes"}, None),
    (ADULT_AGE, {"bilateral_leg_symptoms": True, "leg_weakness": "progressive"}, None),
    (ADULT_AGE, {"bilateral_leg_symptoms": True, "pain_duration_days": 10}, None),
    (ADULT_AGE, {"fever": "yes", "immunosuppression_or_iv_drug_use": "yes"}, None),
    (ADULT_AGE, {"cancer_history": "yes", "leg_numbness": True}, None),
    (ADULT_AGE, {"trauma": "major"}, None),
    (ADULT_AGE, {"osteoporosis_or_steroids": "yes", "trauma": "minor"}, None),
    (ADULT_AGE, {"osteoporosis_or_steroids": "yes", "first_ever_episode": True}, None),
    (75, {"trauma": "minor"}, None),
    (ADULT_AGE, {"unexplained_weight_loss": "yes", "cancer_history": "yes"}, None),
    (ADULT_AGE, {"fever": "yes"}, None),
    (ADULT_AGE, {"fever": "unknown", "trauma": "unknown"}, None),
    (ADULT_AGE, {"completed_physiotherapy": True, "pain_duration_days": 60}, None),
    (
        ADULT_AGE,
        {"completed_physiotherapy": True, "pain_duration_days": 60, "radiation_below_knee": True},
        None,
    ),
    (30, {"pain_duration_days": 200, "inflammatory_features": FEATURES}, None),
    (40, {"pain_duration_days": 200, "inflammatory_features": FEATURES}, None),
    (ADULT_AGE, {"bilateral_leg_symptoms": True, "pain_duration_days": 100}, None),
    (55, {"first_ever_episode": True, "thoracic_pain": "unknown"}, None),
    (12, {}, None),
    (ADULT_AGE, {}, HIGH),
    (ADULT_AGE, {"prior_episodes_12m": 4}, MEDIUM),
    (ADULT_AGE, {}, None),
]

SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _decisions():
    for age, overrides, startback in PATIENTS:
        answers = baseline_answers(**overrides)
        if startback:
            answers = with_startback(answers, **startback)
        yield evaluate(answers, age)


def test_the_reason_patients_cover_every_rule():
    fired = {rule_id for decision in _decisions() for rule_id in decision.rule_ids}
    assert fired == set(EXPECTED_RULE_IDS)


@pytest.mark.parametrize("decision", list(_decisions()), ids=lambda d: "+".join(d.rule_ids))
def test_every_reason_has_plain_language_text_and_a_source(decision):
    assert decision.reasons
    for reason in decision.reasons:
        assert reason.rule_id in EXPECTED_RULE_IDS
        assert reason.text.strip(), reason.rule_id
        assert reason.source.strip(), reason.rule_id
        # Plain language for front-desk staff, not rule jargon (SPEC §5).
        assert not SNAKE_CASE.search(reason.text), reason.text
        assert reason.rule_id not in reason.text
        for operator in ("<=", ">=", "==", "!="):
            assert operator not in reason.text


def test_decision_reports_the_ruleset_version():
    decision = evaluate(baseline_answers(), ADULT_AGE)
    assert decision.as_dict()["ruleset_version"] == spec.RULESET_VERSION
