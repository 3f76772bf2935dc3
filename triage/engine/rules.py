"""The rule table of SPEC §4 as data: each rule's words for people and its check for the engine.

Order matters: reasons are listed in this order, and when several rules reach the same
outcome the first of them sets the service and imaging.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from .facts import SIX_WEEKS_DAYS, Facts
from .vocabulary import RED_FLAG_ITEMS


class Firing(NamedTuple):
    """What one rule says about one patient when its condition holds."""

    service: str
    imaging: str
    text: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    group: str
    title: str
    condition: str
    disposition: str
    urgency: str
    services: tuple[str, ...]
    imaging: tuple[str, ...]
    source: str
    check: Callable[[Facts], Firing | None]

    def as_dict(self) -> dict[str, Any]:
        """The rule as the rule table shows it (no code)."""
        return {
            "id": self.id,
            "group": self.group,
            "title": self.title,
            "condition": self.condition,
            "disposition": self.disposition,
            "urgency": self.urgency,
            "services": list(self.services),
            "imaging": list(self.imaging),
            "source": self.source,
        }


GIRFT_CES = "GIRFT national suspected cauda equina pathway"
ACR_LBP = "ACR Appropriateness Criteria: low back pain (2021)"
NG59 = "NICE NG59 (low back pain and sciatica in over 16s)"
QS56 = "NICE QS56 (metastatic spinal cord compression: MRI within 24 hours)"
NG65 = "NICE NG65 (spondyloarthritis: referral criteria)"
STARTBACK = "Keele STarT Back tool (Hill et al. 2008; Hill et al., Lancet 2011); NICE NG59 1.1.2"
CLINIC_POLICY = "Clinic policy (ruleset 2026.1)"

_CES_SYMPTOMS = (
    ("bladder_bowel_change", "new trouble passing urine or controlling the bowel"),
    ("saddle_numbness", "new numbness around the genitals, back passage or inner thighs"),
    ("sexual_dysfunction_new", "new loss of sexual function or sensation"),
)

# Items whose `unknown` answer asks for a clinician call-back (U5), with words for staff.
CALLBACK_ITEMS = (
    ("bladder_bowel_change", "bladder or bowel changes"),
    ("saddle_numbness", "numbness around the genitals or back passage"),
    ("sexual_dysfunction_new", "loss of sexual function"),
    ("fever", "fever"),
    ("cancer_history", "any history of cancer"),
    ("unexplained_weight_loss", "weight loss without trying"),
    ("osteoporosis_or_steroids", "osteoporosis or long-term steroid tablets"),
    ("immunosuppression_or_iv_drug_use", "a weakened immune system or injecting drugs"),
    ("trauma", "a recent injury"),
)
assert {item for item, _ in CALLBACK_ITEMS} - {"trauma"} <= set(RED_FLAG_ITEMS)

WEAK_FLAG_WORDS = {
    "new_onset_age": "back pain for the first time under 20 or from 50",
    "night_pain_unremitting": "night pain that no position eases",
    "thoracic_pain": "pain mainly in the upper or middle back",
    "not_improving_with_self_care": "no improvement after weeks of self-care",
}


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# Rules run on every decision, so they avoid rebuilding their words. A Firing is an immutable
# tuple, safe to share: a rule whose words never vary returns one built here at import, and a
# rule whose words list findings builds them in a cached function of just those findings (the
# `_*_firing` functions; each has only a few possible inputs, and the caches are bounded).


# E1 and U5 each read several answers. An itemgetter fetches them in one call, so the usual
# case (none of them yes, or none unknown) is decided without a loop or building a list.
_CES_ANSWERS = itemgetter(*(item for item, _ in _CES_SYMPTOMS))
_CALLBACK_ANSWERS = itemgetter(*(item for item, _ in CALLBACK_ITEMS))


def _e1(f: Facts) -> Firing | None:
    a = f.answers
    if "yes" not in _CES_ANSWERS(a):
        return None
    found = [words for item, words in _CES_SYMPTOMS if a[item] == "yes"]
    return _e1_firing(tuple(found))


@lru_cache(maxsize=16)
def _e1_firing(found: tuple[str, ...]) -> Firing:
    return Firing(
        "emergency_department",
        "mri_lumbar",
        f"{_sentence(_join(found))} can mean pressure on the nerves at the base of the spine "
        "(cauda equina syndrome); same-day emergency assessment and an emergency MRI scan are "
        "needed.",
    )


def _e2_firing(how: str) -> Firing:
    return Firing(
        "emergency_department",
        "mri_lumbar",
        f"Symptoms in both legs {how} can mean the nerves at the base of the spine are being "
        "squeezed; same-day emergency assessment and an MRI scan are needed.",
    )


_E2_PROGRESSIVE = _e2_firing("with weakness that is getting worse")
_E2_RECENT = _e2_firing("that began within the last six weeks")


def _e2(f: Facts) -> Firing | None:
    a = f.answers
    if not a["bilateral_leg_symptoms"]:
        return None
    if a["leg_weakness"] == "progressive":
        return _E2_PROGRESSIVE
    if f.duration <= SIX_WEEKS_DAYS:
        return _E2_RECENT
    return None


_E3 = Firing(
    "emergency_department",
    "mri_whole_spine",
    "Fever together with a weakened immune system or injecting drugs can mean an infection "
    "in the spine; same-day emergency assessment and an MRI scan of the whole spine are "
    "needed.",
)


def _e3(f: Facts) -> Firing | None:
    a = f.answers
    if a["fever"] == "yes" and a["immunosuppression_or_iv_drug_use"] == "yes":
        return _E3
    return None


_E4 = Firing(
    "emergency_department",
    "mri_whole_spine",
    "A history of cancer with leg weakness, numbness or symptoms in both legs can mean "
    "pressure on the spinal cord; same-day emergency assessment and an MRI scan of the "
    "whole spine within 24 hours are needed.",
)


def _e4(f: Facts) -> Firing | None:
    a = f.answers
    if a["cancer_history"] != "yes":
        return None
    if a["leg_weakness"] == "none" and not a["leg_numbness"] and not a["bilateral_leg_symptoms"]:
        return None
    return _E4


_E5 = Firing(
    "emergency_department",
    "ct",
    "Back pain after a major injury (such as a road accident, a fall from height or a heavy "
    "impact) needs same-day emergency assessment and a CT scan to look for a broken bone.",
)


def _e5(f: Facts) -> Firing | None:
    return _E5 if f.answers["trauma"] == "major" else None


_U1 = Firing(
    "spinal_specialist",
    "mri_lumbar",
    "Weakness in a leg or foot that is getting worse needs a spinal specialist within days, "
    "with an MRI scan.",
)


def _u1(f: Facts) -> Firing | None:
    return _U1 if f.answers["leg_weakness"] == "progressive" else None


def _u2_firing(why: str) -> Firing:
    return Firing(
        "urgent_imaging",
        "xray",
        f"{why} raises the chance of a broken bone in a weakened spine; an X-ray within days is "
        "needed.",
    )


_U2_FRAGILE_MINOR_TRAUMA = _u2_firing(
    "Osteoporosis or long-term steroid tablets with a minor fall or knock"
)
_U2_FRAGILE_FIRST_EPISODE = _u2_firing(
    "Osteoporosis or long-term steroid tablets with a first-ever episode of back pain"
)
_U2_MINOR_TRAUMA_AGE_70 = _u2_firing("A minor fall or knock at age 70 or over")


def _u2(f: Facts) -> Firing | None:
    a = f.answers
    minor_trauma = a["trauma"] == "minor"
    if a["osteoporosis_or_steroids"] == "yes" and (minor_trauma or a["first_ever_episode"]):
        return _U2_FRAGILE_MINOR_TRAUMA if minor_trauma else _U2_FRAGILE_FIRST_EPISODE
    if minor_trauma and f.age >= 70:
        return _U2_MINOR_TRAUMA_AGE_70
    return None


def _u3(f: Facts) -> Firing | None:
    a = f.answers
    found = []
    if a["cancer_history"] == "yes":
        found.append("a history of cancer")
    if a["unexplained_weight_loss"] == "yes":
        found.append("weight loss without trying")
    if not found:
        return None
    return _u3_firing(tuple(found))


@lru_cache(maxsize=4)
def _u3_firing(found: tuple[str, ...]) -> Firing:
    return Firing(
        "urgent_imaging",
        "mri_whole_spine",
        f"Back pain with {_join(found)} can have a serious cause; an MRI scan of the whole spine "
        "within days is needed.",
    )


_U4 = Firing(
    "gp",
    "none",
    "Fever, chills or sweats with back pain can mean an infection; a GP should see the "
    "patient within days.",
)


def _u4(f: Facts) -> Firing | None:
    a = f.answers
    if a["fever"] == "yes" and a["immunosuppression_or_iv_drug_use"] != "yes":
        return _U4
    return None


def _u5(f: Facts) -> Firing | None:
    a = f.answers
    if "unknown" not in _CALLBACK_ANSWERS(a):
        return None
    unknown = [words for item, words in CALLBACK_ITEMS if a[item] == "unknown"]
    return _u5_firing(tuple(unknown))


@lru_cache(maxsize=512)
def _u5_firing(unknown: tuple[str, ...]) -> Firing:
    return Firing(
        "clinician_callback",
        "none",
        f"The patient could not say whether they have {_join(unknown)}. An unanswered warning "
        "sign is never taken as a no: a clinician will phone the patient the same working day "
        "to ask.",
    )


_R1_RADIATING = Firing(
    "spinal_specialist",
    "mri_lumbar",
    "Pain down the leg below the knee has lasted more than six weeks despite a completed "
    "course of physiotherapy; a spinal specialist review with an MRI scan is the next "
    "step.",
)
_R1_BACK_ONLY = Firing(
    "pain_service",
    "none",
    "Back pain has lasted more than six weeks despite a completed course of physiotherapy; "
    "a pain service review is the next step.",
)


def _r1(f: Facts) -> Firing | None:
    a = f.answers
    if not (a["completed_physiotherapy"] and f.duration > SIX_WEEKS_DAYS):
        return None
    return _R1_RADIATING if a["radiation_below_knee"] else _R1_BACK_ONLY


def _r2(f: Facts) -> Firing | None:
    if f.duration <= 90 or f.onset_age >= 45 or f.inflammatory_count < 3:
        return None
    return _r2_firing(f.inflammatory_count)


@lru_cache(maxsize=16)
def _r2_firing(count: int) -> Firing:
    lead = (
        "Back pain for more than three months that began before age 45, with "
        f"{count} signs of inflammatory back pain, "
    )
    if count >= 4:
        return Firing(
            "rheumatology",
            "none",
            lead + "suggests axial spondyloarthritis; a rheumatologist should assess it.",
        )
    return Firing(
        "gp",
        "none",
        lead + "may be axial spondyloarthritis; the GP should arrange an HLA-B27 blood test "
        "and refer to a rheumatologist if it is positive.",
    )


_R3 = Firing(
    "spinal_specialist",
    "none",
    "Pain, numbness or heaviness in both legs for more than six weeks fits a narrowing of "
    "the spinal canal (spinal stenosis); a routine spinal specialist review is needed.",
)


def _r3(f: Facts) -> Firing | None:
    a = f.answers
    if not a["bilateral_leg_symptoms"] or f.duration <= SIX_WEEKS_DAYS:
        return None
    if a["leg_weakness"] == "progressive":
        return None
    return _R3


def _r4(f: Facts) -> Firing | None:
    if len(f.weak_flags) < 2:
        return None
    return _r4_firing(f.weak_flags)


@lru_cache(maxsize=16)
def _r4_firing(weak_flags: tuple[str, ...]) -> Firing:
    words = [WEAK_FLAG_WORDS[flag] for flag in weak_flags]
    return Firing(
        "gp",
        "none",
        f"{len(words)} warning signs that each matter little on their own ({_join(words)}) "
        "together need a routine GP review.",
    )


_R5 = Firing(
    "gp",
    "none",
    "The patient is under 16, outside the adult back-pain pathway; a GP should assess them.",
)


def _r5(f: Facts) -> Firing | None:
    return _R5 if f.age < 16 else None


_S1 = Firing(
    "physiotherapy_psychologically_informed",
    "none",
    "The screening answers show a high risk of long-term problems, with worry and low mood "
    "playing a large part; on its own this calls for physiotherapy that also works on "
    "those thoughts and feelings.",
)


def _s1(f: Facts) -> Firing | None:
    return _S1 if f.startback.risk == "high" else None


_S2 = Firing(
    "physiotherapy",
    "none",
    "The screening answers show a medium risk of ongoing problems; on its own this calls "
    "for a course of physiotherapy.",
)


def _s2(f: Facts) -> Firing | None:
    return _S2 if f.startback.risk == "medium" else None


_S3 = Firing(
    "self_care",
    "none",
    "The screening answers show a low risk of long-term problems; on its own, back pain like "
    "this usually settles with self-care and staying active.",
)


def _s3(f: Facts) -> Firing | None:
    return _S3 if f.startback.risk == "low" else None


_P1 = Firing(
    "physiotherapy",
    "none",
    "The pain has lasted more than six weeks, so at the least a physiotherapist should "
    "assess it rather than self-care alone.",
)


def _p1(f: Facts) -> Firing | None:
    return _P1 if f.duration > SIX_WEEKS_DAYS else None


def _p2(f: Facts) -> Firing | None:
    episodes = f.answers["prior_episodes_12m"]
    if episodes < 3:
        return None
    return _p2_firing(episodes)


# typed: the count is printed, so an int and an equal float must not share an entry.
@lru_cache(maxsize=64, typed=True)
def _p2_firing(episodes: int) -> Firing:
    return Firing(
        "physiotherapy",
        "none",
        f"The pain keeps coming back ({episodes} earlier episodes in the last 12 months), so at "
        "the least a physiotherapist should assess it.",
    )


_MR, _PT, _HC = "medical_referral", "physiotherapy", "home_care"

RULES: tuple[Rule, ...] = (
    Rule("E1", "emergency", "Cauda equina syndrome",
         "bladder_bowel_change, saddle_numbness or sexual_dysfunction_new is yes",
         _MR, "emergency", ("emergency_department",), ("mri_lumbar",), GIRFT_CES, _e1),
    Rule("E2", "emergency", "Bilateral neurology",
         "bilateral_leg_symptoms, and leg_weakness is progressive or pain_duration_days <= 42",
         _MR, "emergency", ("emergency_department",), ("mri_lumbar",), GIRFT_CES, _e2),
    Rule("E3", "emergency", "Spinal infection",
         "fever is yes and immunosuppression_or_iv_drug_use is yes",
         _MR, "emergency", ("emergency_department",), ("mri_whole_spine",),
         f"{ACR_LBP}; {NG59} 1.1.1", _e3),
    Rule("E4", "emergency", "Metastatic spinal cord compression",
         "cancer_history is yes, and leg_weakness is not none, or leg_numbness, or "
         "bilateral_leg_symptoms",
         _MR, "emergency", ("emergency_department",), ("mri_whole_spine",), QS56, _e4),
    Rule("E5", "emergency", "Major trauma", "trauma is major",
         _MR, "emergency", ("emergency_department",), ("ct",), ACR_LBP, _e5),
    Rule("U1", "urgent", "Progressive neurological deficit", "leg_weakness is progressive",
         _MR, "urgent", ("spinal_specialist",), ("mri_lumbar",), f"{ACR_LBP}; {NG59} 1.1.1",
         _u1),
    Rule("U2", "urgent", "Fragility fracture",
         "osteoporosis_or_steroids is yes and (trauma is minor or first_ever_episode), or "
         "trauma is minor and age >= 70",
         _MR, "urgent", ("urgent_imaging",), ("xray",), ACR_LBP, _u2),
    Rule("U3", "urgent", "Suspected malignancy",
         "cancer_history is yes, or unexplained_weight_loss is yes",
         _MR, "urgent", ("urgent_imaging",), ("mri_whole_spine",), f"{ACR_LBP}; {QS56}", _u3),
    Rule("U4", "urgent", "Possible infection",
         "fever is yes and immunosuppression_or_iv_drug_use is not yes (that is E3)",
         _MR, "urgent", ("gp",), ("none",), f"{ACR_LBP}; {NG59} 1.1.1", _u4),
    Rule("U5", "urgent", "Unanswered red flag",
         "any of bladder_bowel_change, saddle_numbness, sexual_dysfunction_new, fever, "
         "cancer_history, unexplained_weight_loss, osteoporosis_or_steroids, "
         "immunosuppression_or_iv_drug_use or trauma is unknown",
         _MR, "urgent", ("clinician_callback",), ("none",),
         f"{CLINIC_POLICY}: an unknown answer never counts as no", _u5),
    Rule("R1", "routine_medical", "Failed conservative care",
         "completed_physiotherapy and pain_duration_days > 42; spinal_specialist with "
         "mri_lumbar when radiation_below_knee, otherwise pain_service",
         _MR, "routine", ("spinal_specialist", "pain_service"), ("mri_lumbar", "none"), NG59,
         _r1),
    Rule("R2", "routine_medical", "Inflammatory back pain",
         "pain_duration_days > 90, age at onset (age - duration in years) < 45, and at least 3 "
         "features (inflammatory_features, plus onset before 35); rheumatology with 4 or more, "
         "gp (HLA-B27 test) with exactly 3",
         _MR, "routine", ("rheumatology", "gp"), ("none",), NG65, _r2),
    Rule("R3", "routine_medical", "Spinal stenosis pattern",
         "bilateral_leg_symptoms, pain_duration_days > 42, and leg_weakness is not progressive",
         _MR, "routine", ("spinal_specialist",), ("none",), f"{ACR_LBP}; {NG59}", _r3),
    Rule("R4", "routine_medical", "Two or more weak flags",
         "at least two of: first_ever_episode at age < 20 or >= 50; night_pain_unremitting yes "
         "or unknown; thoracic_pain yes or unknown; pain_duration_days >= 28 with "
         "self_care_not_helping",
         _MR, "routine", ("gp",), ("none",), f"{NG59} 1.1.1", _r4),
    Rule("R5", "routine_medical", "Outside the adult pathway", "age < 16",
         _MR, "routine", ("gp",), ("none",), f"{NG59}: covers people aged 16 and over", _r5),
    Rule("S1", "stratified", "STarT Back high risk", "STarT Back risk is high",
         _PT, "routine", ("physiotherapy_psychologically_informed",), ("none",), STARTBACK, _s1),
    Rule("S2", "stratified", "STarT Back medium risk", "STarT Back risk is medium",
         _PT, "routine", ("physiotherapy",), ("none",), STARTBACK, _s2),
    Rule("S3", "stratified", "STarT Back low risk", "STarT Back risk is low",
         _HC, "routine", ("self_care",), ("none",), STARTBACK, _s3),
    Rule("P1", "step_up", "Persistent pain", "pain_duration_days > 42",
         _PT, "routine", ("physiotherapy",), ("none",), CLINIC_POLICY, _p1),
    Rule("P2", "step_up", "Recurrent pain", "prior_episodes_12m >= 3",
         _PT, "routine", ("physiotherapy",), ("none",), CLINIC_POLICY, _p2),
)  # fmt: skip
