"""Each rule of SPEC §4, its boundaries, the tie-breaks, and the advice of SPEC §6.

Expected values are read from the SPEC. The baseline patient (builders.baseline_answers) has
no findings and fires only S3, so each test adds exactly the findings it is about.
"""

from typing import Any

import pytest

from tests.engine.builders import (
    ADULT_AGE,
    baseline_answers,
    baseline_startback,
    startback_items,
    with_startback,
)
from tests.engine.spec import CALLBACK_ITEMS, CAUDA_EQUINA_ITEMS, SAFETY_NET, WEAK_FLAG_ITEMS
from triage.engine import evaluate, score_startback

HOME = ("home_care", "routine", "self_care", "none")
PHYSIO = ("physiotherapy", "routine", "physiotherapy", "none")
PHYSIO_PSYCH = ("physiotherapy", "routine", "physiotherapy_psychologically_informed", "none")

HIGH_STARTBACK = startback_items(psychosocial=4)  # psychosocial 4: high
MEDIUM_STARTBACK = startback_items(physical=4)  # total 4, psychosocial 0: medium

FOUR_FEATURES = [
    "night_waking_second_half",
    "buttock_pain",
    "improves_with_movement",
    "improves_with_nsaids",
]
THREE_FEATURES = FOUR_FEATURES[:3]
TWO_FEATURES = FOUR_FEATURES[:2]


def decide(age: int = ADULT_AGE, startback: dict[str, Any] | None = None, **overrides: Any):
    answers = baseline_answers(**overrides)
    if startback:
        answers = with_startback(answers, **startback)
    return evaluate(answers, age)


def outcome(decision) -> tuple[str, str, str, str]:
    return decision.disposition, decision.urgency, decision.service, decision.imaging


def advice_codes(decision) -> list[str]:
    return [item.code for item in decision.advice]


def emergency(imaging: str) -> tuple[str, str, str, str]:
    return "medical_referral", "emergency", "emergency_department", imaging


def urgent(service: str, imaging: str) -> tuple[str, str, str, str]:
    return "medical_referral", "urgent", service, imaging


def routine_referral(service: str, imaging: str = "none") -> tuple[str, str, str, str]:
    return "medical_referral", "routine", service, imaging


# --- The baseline -------------------------------------------------------------------------


def test_patient_with_no_findings_gets_self_care_and_only_s3():
    decision = decide()
    assert decision.rule_ids == ("S3",)
    assert outcome(decision) == HOME
    assert decision.red_flags == ()
    assert (decision.startback.total, decision.startback.psychosocial) == (0, 0)
    assert decision.startback.risk == "low"


# --- One rule at a time ------------------------------------------------------------------

# (findings, the rules that fire, the outcome): a finding that fires its rule alone.
FIRES_ALONE = [
    pytest.param({"fever": "yes", "immunosuppression_or_iv_drug_use": "yes"}, ("E3", "S3"),
                 emergency("mri_whole_spine"),
                 id="fever_with_immunosuppression_or_iv_drug_use_is_an_emergency"),
    pytest.param({"trauma": "major"}, ("E5", "S3"), emergency("ct"),
                 id="major_trauma_is_an_emergency_with_ct"),
    pytest.param({"leg_weakness": "progressive"}, ("U1", "S3"),
                 urgent("spinal_specialist", "mri_lumbar"),
                 id="progressive_weakness_in_one_leg_is_urgent_spinal_specialist"),
    pytest.param({"fever": "yes"}, ("U4", "S3"), urgent("gp", "none"),
                 id="fever_alone_is_urgent_gp"),
    pytest.param({"completed_physiotherapy": True, "pain_duration_days": 43},
                 ("R1", "S3", "P1"), routine_referral("pain_service"),
                 id="pain_beyond_six_weeks_after_completed_physiotherapy_goes_to_pain_service"),
    pytest.param({"completed_physiotherapy": True, "pain_duration_days": 43,
                  "radiation_below_knee": True},
                 ("R1", "S3", "P1"), routine_referral("spinal_specialist", "mri_lumbar"),
                 id="leg_pain_below_knee_after_completed_physiotherapy_goes_to_spinal_specialist"),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "expected_rules", "expected"), FIRES_ALONE)
def test_a_finding_fires_its_rule_and_sets_the_outcome(overrides, expected_rules, expected):
    decision = decide(**overrides)
    assert decision.rule_ids == expected_rules
    assert outcome(decision) == expected


# (findings, a rule they fall short of, the outcome they reach instead).
SHORT_OF_A_RULE = [
    pytest.param({"leg_numbness": True, "leg_weakness": "stable", "pain_duration_days": 5}, "E2",
                 HOME, id="leg_symptoms_in_one_leg_only_are_not_bilateral_neurology"),
    pytest.param({"leg_numbness": True, "leg_weakness": "stable"}, "E4", HOME,
                 id="leg_numbness_without_cancer_history_is_not_cord_compression"),
    pytest.param({"leg_weakness": "stable"}, "U1", HOME,
                 id="stable_weakness_in_one_leg_is_not_a_progressive_deficit"),
    pytest.param({"cancer_history": "no", "unexplained_weight_loss": "no", "pain_score": 8}, "U3",
                 HOME, id="no_cancer_history_and_no_weight_loss_is_not_suspected_malignancy"),
    pytest.param({"fever": "no", "immunosuppression_or_iv_drug_use": "yes"}, "U4", HOME,
                 id="no_fever_is_not_a_possible_infection"),
    pytest.param({"completed_physiotherapy": False, "pain_duration_days": 43,
                  "radiation_below_knee": True}, "R1", PHYSIO,
                 id="long_pain_without_completed_physiotherapy_is_not_failed_conservative_care"),
    pytest.param({"pain_duration_days": 91, "inflammatory_features": TWO_FEATURES}, "R2", PHYSIO,
                 id="two_inflammatory_features_are_not_inflammatory_back_pain"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "rule_id"),
    [({"immunosuppression_or_iv_drug_use": "yes"}, "E3"), ({"trauma": "minor"}, "E5")],
    ids=[
        "immunosuppression_without_fever_is_not_a_spinal_infection",
        "minor_trauma_in_a_younger_adult_without_fragility_is_home_care",
    ],
)
def test_a_finding_alone_short_of_a_rule_changes_nothing(overrides, rule_id):
    decision = decide(**overrides)
    assert rule_id not in decision.rule_ids
    assert decision.rule_ids == ("S3",)
    assert outcome(decision) == HOME


# (age, findings, a rule, whether it fires, the outcome): each side of a rule's threshold.
THRESHOLDS = [
    pytest.param(69, {"trauma": "minor"}, "U2", False, HOME, id="minor_trauma_at_69"),
    pytest.param(70, {"trauma": "minor"}, "U2", True, urgent("urgent_imaging", "xray"),
                 id="minor_trauma_from_70_is_a_fragility_fracture"),
    pytest.param(ADULT_AGE, {"completed_physiotherapy": True, "pain_duration_days": 42}, "R1",
                 False, HOME, id="completed_physiotherapy_at_six_weeks"),
    pytest.param(ADULT_AGE, {"completed_physiotherapy": True, "pain_duration_days": 43}, "R1",
                 True, routine_referral("pain_service"),
                 id="failed_conservative_care_needs_more_than_six_weeks"),
    pytest.param(ADULT_AGE, {"pain_duration_days": 90, "inflammatory_features": FOUR_FEATURES},
                 "R2", False, PHYSIO, id="inflammatory_features_at_90_days"),
    pytest.param(ADULT_AGE, {"pain_duration_days": 91, "inflammatory_features": FOUR_FEATURES},
                 "R2", True, routine_referral("rheumatology"),
                 id="inflammatory_back_pain_needs_more_than_90_days"),
]  # fmt: skip


@pytest.mark.parametrize(("age", "overrides", "rule_id", "fires", "expected"), THRESHOLDS)
def test_a_rule_starts_at_its_threshold(age, overrides, rule_id, fires, expected):
    decision = decide(age=age, **overrides)
    assert (rule_id in decision.rule_ids) is fires
    assert outcome(decision) == expected


@pytest.mark.parametrize(("overrides", "rule_id", "expected"), SHORT_OF_A_RULE)
def test_findings_short_of_a_rule_do_not_fire_it(overrides, rule_id, expected):
    decision = decide(**overrides)
    assert rule_id not in decision.rule_ids
    assert outcome(decision) == expected


# --- E1 cauda equina ----------------------------------------------------------------------


@pytest.mark.parametrize("item", CAUDA_EQUINA_ITEMS)
def test_cauda_equina_symptom_yes_is_an_emergency(item):
    decision = decide(**{item: "yes"})
    assert decision.rule_ids == ("E1", "S3")
    assert outcome(decision) == emergency("mri_lumbar")


def test_saddle_numbness_yes_is_an_emergency_even_with_mild_pain():
    decision = decide(saddle_numbness="yes", pain_score=1)
    assert "E1" in decision.rule_ids
    assert outcome(decision) == emergency("mri_lumbar")


def test_one_sided_sciatica_without_cauda_equina_signs_is_not_an_emergency():
    decision = decide(leg_numbness=True, radiation_below_knee=True)
    assert "E1" not in decision.rule_ids
    assert decision.urgency != "emergency"
    assert outcome(decision) == HOME


@pytest.mark.parametrize("item", CAUDA_EQUINA_ITEMS)
def test_cauda_equina_symptom_unknown_does_not_fire_e1_but_asks_for_a_callback(item):
    decision = decide(**{item: "unknown"})
    assert "E1" not in decision.rule_ids
    assert outcome(decision) == urgent("clinician_callback", "none")


# --- E2 bilateral neurology ---------------------------------------------------------------


@pytest.mark.parametrize("days", [0, 5, 42])
def test_bilateral_leg_symptoms_within_six_weeks_are_an_emergency(days):
    decision = decide(bilateral_leg_symptoms=True, pain_duration_days=days)
    assert decision.rule_ids == ("E2", "S3")
    assert outcome(decision) == emergency("mri_lumbar")


@pytest.mark.parametrize("days", [43, 400, 3650])
def test_bilateral_leg_symptoms_with_progressive_weakness_are_an_emergency_at_any_duration(days):
    decision = decide(
        bilateral_leg_symptoms=True, leg_weakness="progressive", pain_duration_days=days
    )
    # R3 needs weakness that is not progressive; U1 and P1 also hold.
    assert decision.rule_ids == ("E2", "U1", "S3", "P1")
    assert outcome(decision) == emergency("mri_lumbar")


@pytest.mark.parametrize("weakness", ["none", "stable"])
def test_bilateral_leg_symptoms_beyond_six_weeks_without_progression_are_not_an_emergency(
    weakness,
):
    decision = decide(bilateral_leg_symptoms=True, leg_weakness=weakness, pain_duration_days=43)
    assert "E2" not in decision.rule_ids
    assert decision.urgency == "routine"


# --- E3 spinal infection ------------------------------------------------------------------


def test_u4_does_not_fire_when_e3_does():
    decision = decide(fever="yes", immunosuppression_or_iv_drug_use="yes")
    assert "E3" in decision.rule_ids
    assert "U4" not in decision.rule_ids


# --- E4 metastatic cord compression -------------------------------------------------------


@pytest.mark.parametrize(
    ("neurology", "expected_rules"),
    [
        ({"leg_weakness": "stable"}, ("E4", "U3", "S3")),
        ({"leg_numbness": True}, ("E4", "U3", "S3")),
        ({"leg_weakness": "progressive"}, ("E4", "U1", "U3", "S3")),
        # Beyond six weeks so that E2 (which would set mri_lumbar first) does not hold.
        (
            {"bilateral_leg_symptoms": True, "pain_duration_days": 43},
            ("E4", "U3", "R3", "S3", "P1"),
        ),
    ],
    ids=["stable_weakness", "numbness", "progressive_weakness", "bilateral_symptoms"],
)
def test_cancer_history_with_leg_neurology_is_an_emergency(neurology, expected_rules):
    decision = decide(cancer_history="yes", **neurology)
    assert decision.rule_ids == expected_rules
    assert outcome(decision) == emergency("mri_whole_spine")


def test_cancer_history_without_leg_neurology_is_urgent_not_an_emergency():
    decision = decide(cancer_history="yes")
    assert "E4" not in decision.rule_ids
    assert decision.urgency == "urgent"


# --- U2 fragility fracture ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "overrides"),
    [
        (ADULT_AGE, {"osteoporosis_or_steroids": "yes", "trauma": "minor"}),
        (ADULT_AGE, {"osteoporosis_or_steroids": "yes", "first_ever_episode": True}),
        (70, {"trauma": "minor"}),
        (110, {"trauma": "minor"}),
    ],
    ids=[
        "osteoporosis_minor_trauma",
        "osteoporosis_first_episode",
        "minor_trauma_70",
        "minor_trauma_110",
    ],
)
def test_possible_fragility_fracture_is_urgent_xray(age, overrides):
    decision = decide(age=age, **overrides)
    assert decision.rule_ids == ("U2", "S3")
    assert outcome(decision) == urgent("urgent_imaging", "xray")


@pytest.mark.parametrize(
    "overrides",
    [
        {"osteoporosis_or_steroids": "yes"},
        {"first_ever_episode": True},
        {"trauma": "minor"},
    ],
    ids=["osteoporosis_alone", "first_episode_alone", "minor_trauma_under_70"],
)
def test_one_fragility_factor_alone_is_not_a_fragility_fracture(overrides):
    decision = decide(**overrides)
    assert "U2" not in decision.rule_ids
    assert outcome(decision) == HOME


# --- U3 suspected malignancy --------------------------------------------------------------


@pytest.mark.parametrize("item", ["cancer_history", "unexplained_weight_loss"])
def test_cancer_history_or_weight_loss_is_urgent_whole_spine_mri(item):
    decision = decide(**{item: "yes"})
    assert decision.rule_ids == ("U3", "S3")
    assert outcome(decision) == urgent("urgent_imaging", "mri_whole_spine")


# --- U5 unanswered red flag ---------------------------------------------------------------


@pytest.mark.parametrize("item", CALLBACK_ITEMS)
def test_unknown_emergency_or_urgent_item_asks_for_a_same_day_callback(item):
    decision = decide(**{item: "unknown"})
    assert decision.rule_ids == ("U5", "S3")
    assert outcome(decision) == urgent("clinician_callback", "none")


@pytest.mark.parametrize("item", WEAK_FLAG_ITEMS)
def test_unknown_weak_flag_item_does_not_ask_for_a_callback(item):
    decision = decide(**{item: "unknown"})
    assert "U5" not in decision.rule_ids
    assert outcome(decision) == HOME


# --- R1 failed conservative care ----------------------------------------------------------


# --- R2 inflammatory back pain (NICE NG65) ------------------------------------------------


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (FOUR_FEATURES, routine_referral("rheumatology")),
        ([*FOUR_FEATURES, "psoriasis_history"], routine_referral("rheumatology")),
        (THREE_FEATURES, routine_referral("gp")),
    ],
    ids=["four_features", "five_features", "exactly_three_features"],
)
def test_inflammatory_back_pain_goes_to_rheumatology_with_four_features_else_gp(features, expected):
    # Age 40 with 91 days: onset about 39.75, before 45 but not before 35.
    decision = decide(pain_duration_days=91, inflammatory_features=features)
    assert decision.rule_ids == ("R2", "S3", "P1")
    assert outcome(decision) == expected


@pytest.mark.parametrize(
    ("age", "listed", "expected_service"),
    [
        (30, THREE_FEATURES, "rheumatology"),  # onset ~29.75: 3 listed + onset before 35 = 4
        (30, TWO_FEATURES, "gp"),  # 2 listed + onset before 35 = exactly 3
        (35, THREE_FEATURES, "rheumatology"),  # onset ~34.75 still before 35
        (36, THREE_FEATURES, "gp"),  # onset ~35.75: not before 35
    ],
)
def test_onset_before_35_counts_as_an_inflammatory_feature(age, listed, expected_service):
    decision = decide(age=age, pain_duration_days=91, inflammatory_features=listed)
    assert "R2" in decision.rule_ids
    assert decision.service == expected_service


@pytest.mark.parametrize(
    ("age", "days", "fires"),
    [
        (45, 91, True),  # onset 44.75: whole-year rounding would give 45 and miss it
        (46, 365, False),  # onset 45.0007
        (46, 366, True),  # onset 44.998 (whole years would give 45)
        (49, 1461, False),  # exactly 4 years of 365.25 days: onset 45.0, not < 45
        (49, 1462, True),  # onset 44.9973 (365-day years would fire at 1461 already)
        (60, 5844, True),  # 16 years: onset 44.0
        (60, 5478, False),  # onset 45.002
    ],
)
def test_inflammatory_back_pain_needs_onset_before_45_in_fractional_years(age, days, fires):
    decision = decide(age=age, pain_duration_days=days, inflammatory_features=FOUR_FEATURES)
    assert ("R2" in decision.rule_ids) is fires
    assert outcome(decision) == (routine_referral("rheumatology") if fires else PHYSIO)


@pytest.mark.parametrize(
    ("days", "expected_service"),
    [
        (1461, "gp"),  # onset exactly 35.0: not before 35, so 3 features
        (1462, "rheumatology"),  # onset 34.9973: before 35, so 4 features
    ],
)
def test_onset_before_35_uses_fractional_years(days, expected_service):
    decision = decide(age=39, pain_duration_days=days, inflammatory_features=THREE_FEATURES)
    assert "R2" in decision.rule_ids
    assert decision.service == expected_service


# --- R3 spinal stenosis pattern -----------------------------------------------------------


@pytest.mark.parametrize("weakness", ["none", "stable"])
def test_bilateral_leg_symptoms_beyond_six_weeks_are_a_routine_stenosis_referral(weakness):
    decision = decide(bilateral_leg_symptoms=True, pain_duration_days=43, leg_weakness=weakness)
    assert decision.rule_ids == ("R3", "S3", "P1")
    assert outcome(decision) == routine_referral("spinal_specialist")


@pytest.mark.parametrize(("days", "expected_rules"), [(42, ("E2", "S3")), (43, ("R3", "S3", "P1"))])
def test_stenosis_pattern_starts_after_six_weeks(days, expected_rules):
    decision = decide(bilateral_leg_symptoms=True, pain_duration_days=days)
    assert decision.rule_ids == expected_rules


def test_progressive_weakness_is_not_a_stenosis_pattern():
    decision = decide(
        bilateral_leg_symptoms=True, pain_duration_days=43, leg_weakness="progressive"
    )
    assert "R3" not in decision.rule_ids
    assert decision.urgency == "emergency"


# --- R4 two or more weak flags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "overrides"),
    [
        (ADULT_AGE, {"night_pain_unremitting": "yes", "thoracic_pain": "yes"}),
        (ADULT_AGE, {"night_pain_unremitting": "unknown", "thoracic_pain": "unknown"}),
        (19, {"first_ever_episode": True, "thoracic_pain": "yes"}),
        (50, {"first_ever_episode": True, "night_pain_unremitting": "unknown"}),
        (
            ADULT_AGE,
            {"self_care_not_helping": True, "pain_duration_days": 28, "thoracic_pain": "yes"},
        ),
    ],
    ids=["night_and_thoracic", "both_unknown", "new_onset_19", "new_onset_50", "self_care_28_days"],
)
def test_two_weak_flags_need_a_routine_gp_review(age, overrides):
    decision = decide(age=age, **overrides)
    assert decision.rule_ids == ("R4", "S3")
    assert outcome(decision) == routine_referral("gp")
    assert sum(1 for flag in decision.red_flags if flag.level == "weak") == 2


@pytest.mark.parametrize(
    ("age", "first_ever", "is_flag"),
    [
        (16, True, True),
        (19, True, True),
        (20, True, False),
        (49, True, False),
        (50, True, True),
        (110, True, True),
        (19, False, False),
        (50, False, False),
    ],
)
def test_new_onset_weak_flag_is_first_episode_under_20_or_from_50(age, first_ever, is_flag):
    decision = decide(age=age, first_ever_episode=first_ever, thoracic_pain="yes")
    assert ("R4" in decision.rule_ids) is is_flag
    assert outcome(decision) == (routine_referral("gp") if is_flag else HOME)


@pytest.mark.parametrize(
    ("days", "not_helping", "is_flag"),
    [(27, True, False), (28, True, True), (42, True, True), (28, False, False)],
)
def test_self_care_weak_flag_needs_28_days_without_improvement(days, not_helping, is_flag):
    decision = decide(
        pain_duration_days=days, self_care_not_helping=not_helping, thoracic_pain="yes"
    )
    assert ("R4" in decision.rule_ids) is is_flag
    assert outcome(decision) == (routine_referral("gp") if is_flag else HOME)


@pytest.mark.parametrize(
    ("age", "overrides", "code"),
    [
        (ADULT_AGE, {"night_pain_unremitting": "yes"}, "night_pain_unremitting"),
        (ADULT_AGE, {"night_pain_unremitting": "unknown"}, "night_pain_unremitting"),
        (ADULT_AGE, {"thoracic_pain": "yes"}, "thoracic_pain"),
        (ADULT_AGE, {"thoracic_pain": "unknown"}, "thoracic_pain"),
        (55, {"first_ever_episode": True}, None),
        (ADULT_AGE, {"pain_duration_days": 30, "self_care_not_helping": True}, None),
    ],
    ids=[
        "night_yes",
        "night_unknown",
        "thoracic_yes",
        "thoracic_unknown",
        "new_onset",
        "self_care",
    ],
)
def test_single_weak_flag_is_listed_but_changes_nothing(age, overrides, code):
    decision = decide(age=age, **overrides)
    assert decision.rule_ids == ("S3",)
    assert outcome(decision) == HOME
    assert [flag.level for flag in decision.red_flags] == ["weak"]
    if code is not None:
        assert decision.red_flags[0].code == code


# --- R5 outside the adult pathway ---------------------------------------------------------


@pytest.mark.parametrize(("age", "fires"), [(0, True), (15, True), (16, False), (17, False)])
def test_under_16_is_outside_the_adult_pathway(age, fires):
    decision = decide(age=age)
    assert decision.rule_ids == (("R5", "S3") if fires else ("S3",))
    assert outcome(decision) == (routine_referral("gp") if fires else HOME)


# --- S1-S3 stratified care ----------------------------------------------------------------

STARTBACK_TABLE = [
    # (items, total, psychosocial, risk)
    (startback_items(), 0, 0, "low"),
    (startback_items(physical=3), 3, 0, "low"),
    (startback_items(physical=4), 4, 0, "medium"),
    (startback_items(physical=2, bothersome=True), 3, 1, "low"),
    (startback_items(physical=3, bothersome=True), 4, 1, "medium"),
    (startback_items(psychosocial=3), 3, 3, "low"),
    (startback_items(physical=1, psychosocial=3), 4, 3, "medium"),
    (startback_items(psychosocial=4), 4, 4, "high"),
    (startback_items(psychosocial=3, bothersome=True), 4, 4, "high"),
    (startback_items(physical=4, psychosocial=4, bothersome=True), 9, 5, "high"),
    ({**startback_items(psychosocial=3), "bothersomeness": "moderately"}, 3, 3, "low"),
    ({**startback_items(psychosocial=3), "bothersomeness": "extremely"}, 4, 4, "high"),
    ({**startback_items(physical=4), "bothersomeness": "not_at_all"}, 4, 0, "medium"),
]
STRATIFIED = {
    "low": ("S3", HOME),
    "medium": ("S2", PHYSIO),
    "high": ("S1", PHYSIO_PSYCH),
}


@pytest.mark.parametrize(("items", "total", "psychosocial", "risk"), STARTBACK_TABLE)
def test_startback_scoring_follows_keele_thresholds(items, total, psychosocial, risk):
    scores = score_startback(baseline_startback(**items))
    assert (scores.total, scores.psychosocial, scores.risk) == (total, psychosocial, risk)


@pytest.mark.parametrize(("items", "total", "psychosocial", "risk"), STARTBACK_TABLE)
def test_startback_risk_alone_sets_the_stratified_care(items, total, psychosocial, risk):
    decision = decide(startback=items)
    rule_id, expected = STRATIFIED[risk]
    assert decision.rule_ids == (rule_id,)
    assert outcome(decision) == expected
    assert (decision.startback.total, decision.startback.psychosocial) == (total, psychosocial)
    assert decision.startback.risk == risk


# --- P1 / P2 step-ups ---------------------------------------------------------------------


@pytest.mark.parametrize(("days", "fires"), [(42, False), (43, True), (3650, True)])
def test_pain_beyond_six_weeks_steps_home_care_up_to_physiotherapy(days, fires):
    decision = decide(pain_duration_days=days)
    assert decision.rule_ids == (("S3", "P1") if fires else ("S3",))
    assert outcome(decision) == (PHYSIO if fires else HOME)


@pytest.mark.parametrize(("episodes", "fires"), [(2, False), (3, True), (52, True)])
def test_three_or_more_earlier_episodes_step_home_care_up_to_physiotherapy(episodes, fires):
    decision = decide(prior_episodes_12m=episodes)
    assert decision.rule_ids == (("S3", "P2") if fires else ("S3",))
    assert outcome(decision) == (PHYSIO if fires else HOME)


def test_step_up_does_not_lower_a_medical_referral():
    decision = decide(pain_duration_days=43, prior_episodes_12m=5, fever="yes")
    assert decision.rule_ids == ("U4", "S3", "P1", "P2")
    assert outcome(decision) == urgent("gp", "none")


# --- Pain intensity -----------------------------------------------------------------------


@pytest.mark.parametrize("score", [9, 10])
def test_severe_pain_after_lifting_with_low_risk_and_no_flags_stays_home_care(score):
    decision = decide(
        pain_score=score, spasm_present=True, suspected_triggers=["lifting_or_twisting"]
    )
    assert decision.rule_ids == ("S3",)
    assert outcome(decision) == HOME
    assert "pain_relief" in advice_codes(decision)


# --- Outcome and tie-break ----------------------------------------------------------------


# (age, findings, STarT Back items, the rules that fire, the outcome), one case per tie-break.
TIE_BREAKS = [
    pytest.param(ADULT_AGE, {"saddle_numbness": "yes", "trauma": "major"}, None,
                 ("E1", "E5", "S3"), emergency("mri_lumbar"), id="E1_before_E5"),
    pytest.param(ADULT_AGE,
                 {"trauma": "major", "fever": "yes", "immunosuppression_or_iv_drug_use": "yes"},
                 None, ("E3", "E5", "S3"), emergency("mri_whole_spine"), id="E3_before_E5"),
    pytest.param(ADULT_AGE, {"cancer_history": "yes", "bilateral_leg_symptoms": True}, None,
                 ("E2", "E4", "U3", "S3"), emergency("mri_lumbar"), id="E2_before_E4"),
    pytest.param(ADULT_AGE, {"leg_weakness": "progressive", "unexplained_weight_loss": "yes"},
                 None, ("U1", "U3", "S3"), urgent("spinal_specialist", "mri_lumbar"),
                 id="U1_before_U3"),
    pytest.param(ADULT_AGE, {"cancer_history": "yes", "fever": "yes"}, None, ("U3", "U4", "S3"),
                 urgent("urgent_imaging", "mri_whole_spine"), id="U3_before_U4"),
    pytest.param(ADULT_AGE,
                 {"osteoporosis_or_steroids": "yes", "first_ever_episode": True,
                  "fever": "unknown"},
                 None, ("U2", "U5", "S3"), urgent("urgent_imaging", "xray"), id="U2_before_U5"),
    pytest.param(ADULT_AGE, {"fever": "yes", "cancer_history": "unknown"}, None,
                 ("U4", "U5", "S3"), urgent("gp", "none"), id="U4_before_U5"),
    pytest.param(ADULT_AGE,
                 {"completed_physiotherapy": True, "bilateral_leg_symptoms": True,
                  "pain_duration_days": 43},
                 None, ("R1", "R3", "S3", "P1"), routine_referral("pain_service"),
                 id="R1_before_R3"),
    pytest.param(ADULT_AGE,
                 {"bilateral_leg_symptoms": True, "pain_duration_days": 43,
                  "night_pain_unremitting": "yes", "thoracic_pain": "yes"},
                 None, ("R3", "R4", "S3", "P1"), routine_referral("spinal_specialist"),
                 id="R3_before_R4"),
    pytest.param(15, {"first_ever_episode": True, "thoracic_pain": "yes"}, None,
                 ("R4", "R5", "S3"), routine_referral("gp"), id="R4_and_R5"),
    pytest.param(15, {}, HIGH_STARTBACK, ("R5", "S1"), routine_referral("gp"), id="R5_beats_S1"),
    pytest.param(ADULT_AGE, {"pain_duration_days": 43}, HIGH_STARTBACK, ("S1", "P1"),
                 PHYSIO_PSYCH, id="S1_before_P1"),
    pytest.param(ADULT_AGE, {"prior_episodes_12m": 3}, HIGH_STARTBACK, ("S1", "P2"),
                 PHYSIO_PSYCH, id="S1_before_P2"),
    pytest.param(ADULT_AGE, {"pain_duration_days": 43, "prior_episodes_12m": 3},
                 MEDIUM_STARTBACK, ("S2", "P1", "P2"), PHYSIO, id="S2_P1_P2"),
    pytest.param(ADULT_AGE, {"pain_duration_days": 43, "prior_episodes_12m": 3}, None,
                 ("S3", "P1", "P2"), PHYSIO, id="P1_raises_S3"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("age", "overrides", "startback", "expected_rules", "expected"), TIE_BREAKS
)
def test_highest_outcome_wins_and_first_rule_reaching_it_sets_service_and_imaging(
    age, overrides, startback, expected_rules, expected
):
    decision = decide(age=age, startback=startback, **overrides)
    assert decision.rule_ids == expected_rules
    assert outcome(decision) == expected


def test_reasons_list_every_fired_rule_in_table_order_including_stratified_and_step_ups():
    decision = decide(
        age=15,
        startback=MEDIUM_STARTBACK,
        saddle_numbness="yes",
        cancer_history="yes",
        pain_duration_days=43,
        prior_episodes_12m=3,
    )
    assert decision.rule_ids == ("E1", "U3", "R5", "S2", "P1", "P2")
    assert [reason.rule_id for reason in decision.reasons] == ["E1", "U3", "R5", "S2", "P1", "P2"]
    assert outcome(decision) == emergency("mri_lumbar")


# --- Advice (SPEC §6) ---------------------------------------------------------------------

ADVICE_CASES = [
    pytest.param(ADULT_AGE, {}, None, id="home_care"),
    pytest.param(ADULT_AGE, {}, HIGH_STARTBACK, id="physiotherapy"),
    pytest.param(ADULT_AGE, {"pain_duration_days": 43}, None, id="step_up"),
    pytest.param(
        ADULT_AGE,
        {"thoracic_pain": "yes", "night_pain_unremitting": "yes"},
        None,
        id="routine_referral",
    ),
    pytest.param(ADULT_AGE, {"fever": "yes"}, None, id="urgent"),
    pytest.param(ADULT_AGE, {"saddle_numbness": "yes"}, None, id="emergency"),
    pytest.param(10, {}, None, id="child"),
]


@pytest.mark.parametrize(("age", "overrides", "startback"), ADVICE_CASES)
def test_safety_net_advice_is_always_given(age, overrides, startback):
    decision = decide(age=age, startback=startback, **overrides)
    codes = advice_codes(decision)
    for code in SAFETY_NET:
        assert code in codes
    assert all(item.text.strip() for item in decision.advice)


@pytest.mark.parametrize("score", [7, 8, 10])
@pytest.mark.parametrize(("age", "overrides", "startback"), ADVICE_CASES)
def test_pain_relief_advice_whenever_pain_score_is_7_or_more(age, overrides, startback, score):
    decision = decide(age=age, startback=startback, pain_score=score, **overrides)
    assert "pain_relief" in advice_codes(decision)


@pytest.mark.parametrize(
    ("overrides", "given"),
    [
        ({"spasm_present": True}, True),
        ({"suspected_triggers": ["dehydration"]}, True),
        ({"spasm_present": True, "suspected_triggers": ["dehydration", "stress"]}, True),
        ({"suspected_triggers": ["lifting_or_twisting", "stress", "none_known"]}, False),
        ({}, False),
    ],
)
def test_hydration_advice_for_spasm_or_dehydration(overrides, given):
    assert ("hydration" in advice_codes(decide(**overrides))) is given


@pytest.mark.parametrize(
    ("triggers", "given"),
    [
        (["prolonged_posture"], True),
        (["lifting_or_twisting"], True),
        (["sport_or_exercise", "lifting_or_twisting"], True),
        (["sport_or_exercise", "dehydration", "stress"], False),
        ([], False),
    ],
)
def test_posture_advice_for_posture_or_lifting_triggers(triggers, given):
    assert ("posture" in advice_codes(decide(suspected_triggers=triggers))) is given


@pytest.mark.parametrize(
    ("triggers", "given"),
    [
        (["stress"], True),
        (["prolonged_posture", "stress"], True),
        (["none_known"], False),
        ([], False),
    ],
)
def test_stress_advice_for_stress_trigger(triggers, given):
    assert ("stress" in advice_codes(decide(suspected_triggers=triggers))) is given


def test_trigger_driven_advice_is_also_given_to_referred_patients():
    decision = decide(
        saddle_numbness="yes",
        pain_score=8,
        spasm_present=True,
        suspected_triggers=["prolonged_posture", "stress"],
    )
    codes = advice_codes(decision)
    for code in ("pain_relief", "hydration", "posture", "stress", *SAFETY_NET):
        assert code in codes


def test_absent_optional_lists_are_accepted():
    answers = baseline_answers()
    del answers["suspected_triggers"]
    del answers["inflammatory_features"]
    decision = evaluate(answers, ADULT_AGE)
    assert decision.rule_ids == ("S3",)
    assert outcome(decision) == HOME
    for code in SAFETY_NET:
        assert code in advice_codes(decision)
