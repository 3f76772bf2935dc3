"""The clinical specification (ruleset 2026.1, docs/clinical/SPEC-2026.1.md) as test data.

Everything here is transcribed from the SPEC, not imported from the engine, so the tests
compare the engine against the document rather than against itself.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

RULESET_VERSION = "2026.1"

# SPEC §1: outcomes. Dispositions and urgencies are ordered lowest to highest.
DISPOSITIONS = ("home_care", "physiotherapy", "medical_referral")
URGENCIES = ("routine", "urgent", "emergency")
SERVICES = (
    "self_care",
    "physiotherapy",
    "physiotherapy_psychologically_informed",
    "gp",
    "spinal_specialist",
    "rheumatology",
    "pain_service",
    "urgent_imaging",
    "clinician_callback",
    "emergency_department",
)
IMAGING = ("none", "xray", "mri_lumbar", "mri_whole_spine", "ct")
RISKS = ("low", "medium", "high")
RED_FLAG_LEVELS = ("emergency", "urgent", "weak")

# SPEC §2: intake answers.
BOOLEAN_FIELDS = (
    "spasm_present",
    "first_ever_episode",
    "self_care_not_helping",
    "completed_physiotherapy",
    "radiation_below_knee",
    "bilateral_leg_symptoms",
    "leg_numbness",
)
RED_FLAG_ANSWERS = ("yes", "no", "unknown")
RED_FLAG_ITEMS = (
    "bladder_bowel_change",
    "saddle_numbness",
    "sexual_dysfunction_new",
    "fever",
    "cancer_history",
    "unexplained_weight_loss",
    "osteoporosis_or_steroids",
    "immunosuppression_or_iv_drug_use",
    "night_pain_unremitting",
    "thoracic_pain",
)
CAUDA_EQUINA_ITEMS = ("bladder_bowel_change", "saddle_numbness", "sexual_dysfunction_new")
# U5: the emergency- and urgent-level items whose `unknown` asks for a clinician call-back.
CALLBACK_ITEMS = (
    "bladder_bowel_change",
    "saddle_numbness",
    "sexual_dysfunction_new",
    "fever",
    "cancer_history",
    "unexplained_weight_loss",
    "osteoporosis_or_steroids",
    "immunosuppression_or_iv_drug_use",
    "trauma",
)
WEAK_FLAG_ITEMS = ("night_pain_unremitting", "thoracic_pain")
LEG_WEAKNESS = ("none", "stable", "progressive")  # ordered: each step is a worse finding
TRAUMA = ("none", "minor", "major", "unknown")
TRAUMA_SEVERITY = ("none", "minor", "major")  # ordered: each step is a worse finding
TRIGGERS = (
    "lifting_or_twisting",
    "prolonged_posture",
    "sport_or_exercise",
    "dehydration",
    "stress",
    "none_known",
)
INFLAMMATORY_FEATURES = (
    "night_waking_second_half",
    "buttock_pain",
    "improves_with_movement",
    "improves_with_nsaids",
    "family_history_spondyloarthritis",
    "arthritis_history",
    "enthesitis_history",
    "psoriasis_history",
)
STARTBACK_ITEMS = (
    "leg_pain",
    "shoulder_or_neck_pain",
    "walks_short_distances_only",
    "dresses_slowly",
    "activity_unsafe",
    "worrying_thoughts",
    "pain_terrible_never_better",
    "no_enjoyment",
)
STARTBACK_PHYSICAL_ITEMS = STARTBACK_ITEMS[:4]  # items 1-4
STARTBACK_PSYCHOSOCIAL_ITEMS = STARTBACK_ITEMS[4:]  # items 5-8 (item 9 is bothersomeness)
BOTHERSOMENESS = ("not_at_all", "slightly", "moderately", "very_much", "extremely")
BOTHERSOME = ("very_much", "extremely")  # item 9 scores 1 only for these

PAIN_DURATION_RANGE = (0, 3650)
PAIN_SCORE_RANGE = (0, 10)
PRIOR_EPISODES_RANGE = (0, 52)

# SPEC §4: the rule table, in order of evaluation, with the outcome each rule reaches and the
# services / imaging it may set when it is the deciding rule. Where the SPEC names no
# investigation for a medical-referral rule (R2, R4, R5) the expectation is `none`:
# NICE NG59 1.1.4, no routine imaging, and only the listed rules recommend one.
MR, PT, HC = "medical_referral", "physiotherapy", "home_care"


class RuleSpec(NamedTuple):
    disposition: str
    urgency: str
    services: frozenset[str]
    imaging: frozenset[str]

    @property
    def outcome(self) -> tuple[str, str]:
        return self.disposition, self.urgency


def _rule(disposition: str, urgency: str, services: set[str], imaging: set[str]) -> RuleSpec:
    return RuleSpec(disposition, urgency, frozenset(services), frozenset(imaging))


RULE_TABLE: dict[str, RuleSpec] = {
    "E1": _rule(MR, "emergency", {"emergency_department"}, {"mri_lumbar"}),
    "E2": _rule(MR, "emergency", {"emergency_department"}, {"mri_lumbar"}),
    "E3": _rule(MR, "emergency", {"emergency_department"}, {"mri_whole_spine"}),
    "E4": _rule(MR, "emergency", {"emergency_department"}, {"mri_whole_spine"}),
    "E5": _rule(MR, "emergency", {"emergency_department"}, {"ct"}),
    "U1": _rule(MR, "urgent", {"spinal_specialist"}, {"mri_lumbar"}),
    "U2": _rule(MR, "urgent", {"urgent_imaging"}, {"xray"}),
    "U3": _rule(MR, "urgent", {"urgent_imaging"}, {"mri_whole_spine"}),
    "U4": _rule(MR, "urgent", {"gp"}, {"none"}),
    "U5": _rule(MR, "urgent", {"clinician_callback"}, {"none"}),
    "R1": _rule(MR, "routine", {"spinal_specialist", "pain_service"}, {"mri_lumbar", "none"}),
    "R2": _rule(MR, "routine", {"rheumatology", "gp"}, {"none"}),
    "R3": _rule(MR, "routine", {"spinal_specialist"}, {"none"}),
    "R4": _rule(MR, "routine", {"gp"}, {"none"}),
    "R5": _rule(MR, "routine", {"gp"}, {"none"}),
    "S1": _rule(PT, "routine", {"physiotherapy_psychologically_informed"}, {"none"}),
    "S2": _rule(PT, "routine", {"physiotherapy"}, {"none"}),
    "S3": _rule(HC, "routine", {"self_care"}, {"none"}),
    "P1": _rule(PT, "routine", {"physiotherapy"}, {"none"}),
    "P2": _rule(PT, "routine", {"physiotherapy"}, {"none"}),
}
RULE_IDS = tuple(RULE_TABLE)
STRATIFIED_RULES = ("S1", "S2", "S3")

# SPEC §6: advice codes.
ADVICE_CODES = (
    "keep_active",
    "heat_cold",
    "gentle_stretching",
    "pain_relief",
    "massage",
    "hydration",
    "posture",
    "stress",
    "prevention",
    "safety_net_emergency",
    "safety_net_review",
)
SAFETY_NET = ("safety_net_emergency", "safety_net_review")

DAYS_PER_YEAR = 365.25


def rank(disposition: str, urgency: str) -> tuple[int, int]:
    """SPEC §1: disposition first, then urgency, each lowest to highest."""
    return DISPOSITIONS.index(disposition), URGENCIES.index(urgency)


def decision_rank(decision: Any) -> tuple[int, int]:
    return rank(decision.disposition, decision.urgency)


def startback_scores(items: Mapping[str, Any]) -> tuple[int, int, str]:
    """SPEC §3: (total, psychosocial, risk) for the nine STarT Back items."""
    item9 = 1 if items["bothersomeness"] in BOTHERSOME else 0
    total = sum(1 for name in STARTBACK_ITEMS if items[name]) + item9
    psychosocial = sum(1 for name in STARTBACK_PSYCHOSOCIAL_ITEMS if items[name]) + item9
    if psychosocial >= 4:
        risk = "high"
    elif total >= 4:
        risk = "medium"
    else:
        risk = "low"
    return total, psychosocial, risk


def onset_age(answers: Mapping[str, Any], age: int) -> float:
    """R2: age at onset = age minus the episode's duration in (fractional) years."""
    return age - answers["pain_duration_days"] / DAYS_PER_YEAR


def inflammatory_feature_count(answers: Mapping[str, Any], age: int) -> int:
    """R2: the listed inflammatory features plus "onset before 35"."""
    features = len(set(answers.get("inflammatory_features") or ()))
    return features + (1 if onset_age(answers, age) < 35 else 0)


def weak_flag_count(answers: Mapping[str, Any], age: int) -> int:
    """R4's weak flags; `unknown` night or thoracic pain is never taken as `no`."""
    flags = 0
    if answers["first_ever_episode"] and (age < 20 or age >= 50):
        flags += 1
    flags += sum(1 for item in WEAK_FLAG_ITEMS if answers[item] != "no")
    if answers["pain_duration_days"] >= 28 and answers["self_care_not_helping"]:
        flags += 1
    return flags


def expected_rule_ids(answers: Mapping[str, Any], age: int) -> tuple[str, ...]:
    """Every rule of SPEC §4 whose condition holds, in table order."""
    a = answers

    def yes(item: str) -> bool:
        return a[item] == "yes"

    days = a["pain_duration_days"]
    weakness = a["leg_weakness"]
    bilateral = a["bilateral_leg_symptoms"]
    minor_trauma = a["trauma"] == "minor"
    risk = startback_scores(a["startback"])[2]
    e3 = yes("fever") and yes("immunosuppression_or_iv_drug_use")
    holds = {
        "E1": any(yes(item) for item in CAUDA_EQUINA_ITEMS),
        "E2": bilateral and (weakness == "progressive" or days <= 42),
        "E3": e3,
        "E4": yes("cancer_history") and (weakness != "none" or a["leg_numbness"] or bilateral),
        "E5": a["trauma"] == "major",
        "U1": weakness == "progressive",
        "U2": (yes("osteoporosis_or_steroids") and (minor_trauma or a["first_ever_episode"]))
        or (minor_trauma and age >= 70),
        "U3": yes("cancer_history") or yes("unexplained_weight_loss"),
        "U4": yes("fever") and not e3,
        "U5": any(a[item] == "unknown" for item in CALLBACK_ITEMS),
        "R1": a["completed_physiotherapy"] and days > 42,
        "R2": days > 90 and onset_age(a, age) < 45 and inflammatory_feature_count(a, age) >= 3,
        "R3": bilateral and days > 42 and weakness != "progressive",
        "R4": weak_flag_count(a, age) >= 2,
        "R5": age < 16,
        "S1": risk == "high",
        "S2": risk == "medium",
        "S3": risk == "low",
        "P1": days > 42,
        "P2": a["prior_episodes_12m"] >= 3,
    }
    return tuple(rule_id for rule_id in RULE_IDS if holds[rule_id])


def expected_service_and_imaging(rule_id: str, answers: Mapping[str, Any], age: int) -> tuple:
    """What the deciding rule sets (SPEC §4), for the rules whose choice depends on answers."""
    if rule_id == "R1":
        if answers["radiation_below_knee"]:
            return "spinal_specialist", "mri_lumbar"
        return "pain_service", "none"
    if rule_id == "R2":
        exactly_three = inflammatory_feature_count(answers, age) == 3
        return ("gp" if exactly_three else "rheumatology"), "none"
    entry = RULE_TABLE[rule_id]
    (service,) = entry.services
    (imaging,) = entry.imaging
    return service, imaging


def expected_outcome(answers: Mapping[str, Any], age: int) -> tuple[str, str, str, str]:
    """(disposition, urgency, service, imaging): the highest outcome of the rules that hold;
    the first rule in table order reaching it sets service and imaging."""
    fired = expected_rule_ids(answers, age)
    best = max(fired, key=lambda rule_id: rank(*RULE_TABLE[rule_id].outcome))
    # max() returns the first maximal item, which is the first in table order.
    disposition, urgency = RULE_TABLE[best].outcome
    return (disposition, urgency, *expected_service_and_imaging(best, answers, age))
