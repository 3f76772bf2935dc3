"""The rules of SPEC §4 as data: each rule's words for people (the rule table) and its check,
made of the answers it reads, when it holds and what it says then. A ruleset (rulesets.py) lists
the rules it runs, in its order.

A rule's outcome (disposition, urgency, service, imaging) is data; only R1 and R2 choose between
two services, by a `routes` function. Most reasons have fixed words; those that list the
findings seen write each distinct text once (Words), because rules run on every decision.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from .facts import SIX_WEEKS_DAYS, Facts
from .record import WORKINGS, Record
from .sources import ACR_LBP, CLINIC_POLICY, GIRFT_CES, NG59, NG65, QS56, STARTBACK
from .vocabulary import RED_FLAG_ITEMS
from .weak_flags import WEAK_FLAGS_2026_1, WeakFlag


class Firing(NamedTuple):
    """What one rule says about one patient when its condition holds."""

    service: str
    imaging: str
    text: str


class Words:
    """A reason's text that lists findings: `key` picks them out of the facts (a small hashable
    value), `write` writes the text for them. Each distinct text is written once; the cache is
    bounded, and typed, since a printed count must not be shared by an int and an equal float."""

    __slots__ = ("key", "write")

    def __init__(self, key: Callable[[Facts], Hashable], write: Callable[[Any], str]) -> None:
        self.key = key
        self.write = lru_cache(maxsize=512, typed=True)(write)

    def __call__(self, f: Facts) -> str:
        return self.write(self.key(f))


@dataclass(frozen=True, slots=True)
class Check:
    """How a rule decides: the answers it reads (age is no answer), when it holds, its reason's
    text, and, for a rule with a choice of services, which one (service, imaging) it sets."""

    reads: frozenset[str]
    holds: Callable[[Facts], bool]
    says: str | Callable[[Facts], str]
    routes: Callable[[Facts], tuple[str, str]] | None = None


# The services, or the investigations, a rule may set when it decides.
Choices = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule(Record):
    id: str
    group: str
    title: str
    condition: str
    disposition: str
    urgency: str
    services: Choices
    imaging: Choices
    source: str
    check: Check = field(metadata=WORKINGS)

    def __post_init__(self) -> None:
        if self.check.routes is None and (len(self.services), len(self.imaging)) != (1, 1):
            raise ValueError(f"{self.id} has a choice of services but no routes")

    def fires(self, f: Facts) -> Firing | None:
        """What the rule says about these facts, or None when it does not hold."""
        check = self.check
        if not check.holds(f):
            return None
        text = check.says if isinstance(check.says, str) else check.says(f)
        if check.routes is None:
            return Firing(self.services[0], self.imaging[0], text)
        return Firing(*check.routes(f), text)


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _found(
    answers: Mapping[str, Any], words: Iterable[tuple[str, str]], answer: str
) -> tuple[str, ...]:
    """The words of each item that has this answer, in order."""
    return tuple(text for item, text in words if answers[item] == answer)


def answer_is(item: str, value: str, says: str) -> Check:
    """Holds when one answer has this value; the same words every time."""
    return Check(frozenset({item}), lambda f: f.answers[item] == value, says)


def any_answer_is(
    value: str, items: Sequence[tuple[str, str]], write: Callable[[tuple[str, ...]], str]
) -> Check:
    """Holds when any of these items (item, words) has this value; the reason lists the words
    of each that has. An itemgetter fetches them in one call, so the usual case (none has) is
    decided without a loop or building a list."""
    assert len(items) > 1  # itemgetter of one item returns that answer, not a tuple
    names = tuple(item for item, _ in items)
    answers = itemgetter(*names)
    return Check(
        frozenset(names),
        lambda f: value in answers(f.answers),
        Words(lambda f: _found(f.answers, items, value), write),
    )


_MR, _PT, _HC = "medical_referral", "physiotherapy", "home_care"

# --- Each rule's check (the rule table at the end gives each its words and outcome) ----------

_E1 = any_answer_is(
    "yes",
    (
        ("bladder_bowel_change", "new trouble passing urine or controlling the bowel"),
        ("saddle_numbness", "new numbness around the genitals, back passage or inner thighs"),
        ("sexual_dysfunction_new", "new loss of sexual function or sensation"),
    ),
    lambda found: (
        f"{_sentence(_join(found))} can mean pressure on the nerves at the base of the spine "
        "(cauda equina syndrome); same-day emergency assessment and an emergency MRI scan are "
        "needed."
    ),
)


def _both_legs(how: str) -> str:
    return (
        f"Symptoms in both legs {how} can mean the nerves at the base of the spine are being "
        "squeezed; same-day emergency assessment and an MRI scan are needed."
    )


_E2_PROGRESSIVE = _both_legs("with weakness that is getting worse")
_E2_RECENT = _both_legs("that began within the last six weeks")
_E2 = Check(
    frozenset({"bilateral_leg_symptoms", "leg_weakness", "pain_duration_days"}),
    lambda f: (
        f.answers["bilateral_leg_symptoms"]
        and (f.answers["leg_weakness"] == "progressive" or f.duration <= SIX_WEEKS_DAYS)
    ),
    lambda f: _E2_PROGRESSIVE if f.answers["leg_weakness"] == "progressive" else _E2_RECENT,
)

_E3 = Check(
    frozenset({"fever", "immunosuppression_or_iv_drug_use"}),
    lambda f: (
        f.answers["fever"] == "yes" and f.answers["immunosuppression_or_iv_drug_use"] == "yes"
    ),
    "Fever together with a weakened immune system or injecting drugs can mean an infection in "
    "the spine; same-day emergency assessment and an MRI scan of the whole spine are needed.",
)

_E4 = Check(
    frozenset({"cancer_history", "leg_weakness", "leg_numbness", "bilateral_leg_symptoms"}),
    lambda f: (
        f.answers["cancer_history"] == "yes"
        and (
            f.answers["leg_weakness"] != "none"
            or bool(f.answers["leg_numbness"] or f.answers["bilateral_leg_symptoms"])
        )
    ),
    "A history of cancer with leg weakness, numbness or symptoms in both legs can mean pressure "
    "on the spinal cord; same-day emergency assessment and an MRI scan of the whole spine within "
    "24 hours are needed.",
)

_E5 = answer_is(
    "trauma",
    "major",
    "Back pain after a major injury (such as a road accident, a fall from height or a heavy "
    "impact) needs same-day emergency assessment and a CT scan to look for a broken bone.",
)

_U1 = answer_is(
    "leg_weakness",
    "progressive",
    "Weakness in a leg or foot that is getting worse needs a spinal specialist within days, "
    "with an MRI scan.",
)


def _fragile(f: Facts) -> bool:
    a = f.answers
    return a["osteoporosis_or_steroids"] == "yes" and (
        a["trauma"] == "minor" or bool(a["first_ever_episode"])
    )


def _fracture_risk(why: str) -> str:
    return (
        f"{why} raises the chance of a broken bone in a weakened spine; an X-ray within days is "
        "needed."
    )


_U2_FRAGILE_MINOR_TRAUMA = _fracture_risk(
    "Osteoporosis or long-term steroid tablets with a minor fall or knock"
)
_U2_FRAGILE_FIRST_EPISODE = _fracture_risk(
    "Osteoporosis or long-term steroid tablets with a first-ever episode of back pain"
)
_U2_MINOR_TRAUMA_AGE_70 = _fracture_risk("A minor fall or knock at age 70 or over")


def _u2_says(f: Facts) -> str:
    if not _fragile(f):
        return _U2_MINOR_TRAUMA_AGE_70
    minor_trauma = f.answers["trauma"] == "minor"
    return _U2_FRAGILE_MINOR_TRAUMA if minor_trauma else _U2_FRAGILE_FIRST_EPISODE


_U2 = Check(
    frozenset({"osteoporosis_or_steroids", "trauma", "first_ever_episode"}),
    lambda f: _fragile(f) or (f.answers["trauma"] == "minor" and f.age >= 70),
    _u2_says,
)

_U3 = any_answer_is(
    "yes",
    (
        ("cancer_history", "a history of cancer"),
        ("unexplained_weight_loss", "weight loss without trying"),
    ),
    lambda found: (
        f"Back pain with {_join(found)} can have a serious cause; an MRI scan of the "
        "whole spine within days is needed."
    ),
)

_U4 = Check(
    frozenset({"fever", "immunosuppression_or_iv_drug_use"}),
    lambda f: (
        f.answers["fever"] == "yes" and f.answers["immunosuppression_or_iv_drug_use"] != "yes"
    ),
    "Fever, chills or sweats with back pain can mean an infection; a GP should see the patient "
    "within days.",
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

_U5 = any_answer_is(
    "unknown",
    CALLBACK_ITEMS,
    lambda unknown: (
        f"The patient could not say whether they have {_join(unknown)}. An "
        "unanswered warning sign is never taken as a no: a clinician will phone the patient the "
        "same working day to ask."
    ),
)

_R1 = Check(
    frozenset({"completed_physiotherapy", "pain_duration_days", "radiation_below_knee"}),
    lambda f: bool(f.answers["completed_physiotherapy"]) and f.duration > SIX_WEEKS_DAYS,
    lambda f: (
        "Pain down the leg below the knee has lasted more than six weeks despite a completed "
        "course of physiotherapy; a spinal specialist review with an MRI scan is the next step."
        if f.answers["radiation_below_knee"]
        else "Back pain has lasted more than six weeks despite a completed course of "
        "physiotherapy; a pain service review is the next step."
    ),
    routes=lambda f: (
        ("spinal_specialist", "mri_lumbar")
        if f.answers["radiation_below_knee"]
        else ("pain_service", "none")
    ),
)


def _inflammatory(count: int) -> str:
    lead = (
        "Back pain for more than three months that began before age 45, with "
        f"{count} signs of inflammatory back pain, "
    )
    if count >= 4:
        return lead + "suggests axial spondyloarthritis; a rheumatologist should assess it."
    return lead + (
        "may be axial spondyloarthritis; the GP should arrange an HLA-B27 blood test and refer "
        "to a rheumatologist if it is positive."
    )


_R2 = Check(
    frozenset({"pain_duration_days", "inflammatory_features"}),
    lambda f: f.duration > 90 and f.onset_age < 45 and f.inflammatory_count >= 3,
    Words(lambda f: f.inflammatory_count, _inflammatory),
    routes=lambda f: ("rheumatology" if f.inflammatory_count >= 4 else "gp", "none"),
)

_R3 = Check(
    frozenset({"bilateral_leg_symptoms", "pain_duration_days", "leg_weakness"}),
    lambda f: (
        bool(f.answers["bilateral_leg_symptoms"])
        and f.duration > SIX_WEEKS_DAYS
        and f.answers["leg_weakness"] != "progressive"
    ),
    "Pain, numbness or heaviness in both legs for more than six weeks fits a narrowing of the "
    "spinal canal (spinal stenosis); a routine spinal specialist review is needed.",
)


def two_or_more_weak_flags(weak_flags: Sequence[WeakFlag], source: str) -> Rule:
    """R4 for a ruleset that counts these weak flags (the ruleset's own `weak_flags`)."""
    words = Words(
        lambda f: tuple(flag.words for flag in f.weak_flags),
        lambda seen: (
            f"{len(seen)} warning signs that each matter little on their own "
            f"({_join(seen)}) together need a routine GP review."
        ),
    )
    reads = frozenset().union(*(flag.reads for flag in weak_flags))
    return Rule(
        "R4", "routine_medical", "Two or more weak flags",
        "at least two of: " + "; ".join(flag.condition for flag in weak_flags),
        _MR, "routine", ("gp",), ("none",), source,
        Check(reads, lambda f: len(f.weak_flags) >= 2, words),
    )  # fmt: skip


_R5 = Check(
    frozenset(),
    lambda f: f.age < 16,
    "The patient is under 16, outside the adult back-pain pathway; a GP should assess them.",
)


def _screening(risk: str, shows: str) -> Check:
    """S1-S3: the STarT Back risk group alone sets the care."""
    return Check(
        frozenset({"startback"}),
        lambda f: f.startback.risk == risk,
        f"The screening answers show {shows}.",
    )


_S1 = _screening(
    "high",
    "a high risk of long-term problems, with worry and low mood playing a large part; on its "
    "own this calls for physiotherapy that also works on those thoughts and feelings",
)
_S2 = _screening(
    "medium",
    "a medium risk of ongoing problems; on its own this calls for a course of physiotherapy",
)
_S3 = _screening(
    "low",
    "a low risk of long-term problems; on its own, back pain like this usually settles with "
    "self-care and staying active",
)

_P1 = Check(
    frozenset({"pain_duration_days"}),
    lambda f: f.duration > SIX_WEEKS_DAYS,
    "The pain has lasted more than six weeks, so at the least a physiotherapist should assess "
    "it rather than self-care alone.",
)

_P2 = Check(
    frozenset({"prior_episodes_12m"}),
    lambda f: f.answers["prior_episodes_12m"] >= 3,
    Words(
        lambda f: f.answers["prior_episodes_12m"],
        lambda episodes: (
            f"The pain keeps coming back ({episodes} earlier episodes in the last "
            "12 months), so at the least a physiotherapist should assess it."
        ),
    ),
)

# --- The rule table of SPEC §4 ----------------------------------------------------------------

# Each group of SPEC §4 reaches one outcome, and every emergency rule sends to the emergency
# department.
_GROUPS = {
    "emergency": (_MR, "emergency"),
    "urgent": (_MR, "urgent"),
    "routine_medical": (_MR, "routine"),
    "step_up": (_PT, "routine"),
}


def _in_group(
    group: str,
    rule_id: str,
    title: str,
    condition: str,
    services: Choices,
    imaging: Choices,
    source: str,
    check: Check,
) -> Rule:
    return Rule(rule_id, group, title, condition, *_GROUPS[group], services, imaging, source,
                check)  # fmt: skip


def _emergency(
    rule_id: str, title: str, condition: str, imaging: str, source: str, check: Check
) -> Rule:
    return _in_group("emergency", rule_id, title, condition, ("emergency_department",),
                     (imaging,), source, check)  # fmt: skip


def _urgent(
    rule_id: str, title: str, condition: str, service: str, imaging: str, source: str, check: Check
) -> Rule:
    return _in_group("urgent", rule_id, title, condition, (service,), (imaging,), source,
                     check)  # fmt: skip


def _stratified(rule_id: str, risk: str, disposition: str, service: str, check: Check) -> Rule:
    return Rule(rule_id, "stratified", f"STarT Back {risk} risk", f"STarT Back risk is {risk}",
                disposition, "routine", (service,), ("none",), STARTBACK, check)  # fmt: skip


# Ruleset 2026.1's rules, in its order of evaluation.
RULES: tuple[Rule, ...] = (
    _emergency("E1", "Cauda equina syndrome",
               "bladder_bowel_change, saddle_numbness or sexual_dysfunction_new is yes",
               "mri_lumbar", GIRFT_CES, _E1),
    _emergency("E2", "Bilateral neurology",
               "bilateral_leg_symptoms, and leg_weakness is progressive or pain_duration_days "
               "<= 42", "mri_lumbar", GIRFT_CES, _E2),
    _emergency("E3", "Spinal infection", "fever is yes and immunosuppression_or_iv_drug_use is yes",
               "mri_whole_spine", f"{ACR_LBP}; {NG59} 1.1.1", _E3),
    _emergency("E4", "Metastatic spinal cord compression",
               "cancer_history is yes, and leg_weakness is not none, or leg_numbness, or "
               "bilateral_leg_symptoms", "mri_whole_spine", QS56, _E4),
    _emergency("E5", "Major trauma", "trauma is major", "ct", ACR_LBP, _E5),
    _urgent("U1", "Progressive neurological deficit", "leg_weakness is progressive",
            "spinal_specialist", "mri_lumbar", f"{ACR_LBP}; {NG59} 1.1.1", _U1),
    _urgent("U2", "Fragility fracture",
            "osteoporosis_or_steroids is yes and (trauma is minor or first_ever_episode), or "
            "trauma is minor and age >= 70", "urgent_imaging", "xray", ACR_LBP, _U2),
    _urgent("U3", "Suspected malignancy", "cancer_history is yes, or unexplained_weight_loss is "
            "yes", "urgent_imaging", "mri_whole_spine", f"{ACR_LBP}; {QS56}", _U3),
    _urgent("U4", "Possible infection",
            "fever is yes and immunosuppression_or_iv_drug_use is not yes (that is E3)", "gp",
            "none", f"{ACR_LBP}; {NG59} 1.1.1", _U4),
    _urgent("U5", "Unanswered red flag",
            "any of bladder_bowel_change, saddle_numbness, sexual_dysfunction_new, fever, "
            "cancer_history, unexplained_weight_loss, osteoporosis_or_steroids, "
            "immunosuppression_or_iv_drug_use or trauma is unknown", "clinician_callback", "none",
            f"{CLINIC_POLICY}: an unknown answer never counts as no", _U5),
    _in_group("routine_medical", "R1", "Failed conservative care",
              "completed_physiotherapy and pain_duration_days > 42; spinal_specialist with "
              "mri_lumbar when radiation_below_knee, otherwise pain_service",
              ("spinal_specialist", "pain_service"), ("mri_lumbar", "none"), NG59, _R1),
    _in_group("routine_medical", "R2", "Inflammatory back pain",
              "pain_duration_days > 90, age at onset (age - duration in years) < 45, and at "
              "least 3 features (inflammatory_features, plus onset before 35); rheumatology "
              "with 4 or more, gp (HLA-B27 test) with exactly 3",
              ("rheumatology", "gp"), ("none",), NG65, _R2),
    _in_group("routine_medical", "R3", "Spinal stenosis pattern",
              "bilateral_leg_symptoms, pain_duration_days > 42, and leg_weakness is not "
              "progressive", ("spinal_specialist",), ("none",), f"{ACR_LBP}; {NG59}", _R3),
    two_or_more_weak_flags(WEAK_FLAGS_2026_1, f"{NG59} 1.1.1"),
    _in_group("routine_medical", "R5", "Outside the adult pathway", "age < 16", ("gp",),
              ("none",), f"{NG59}: covers people aged 16 and over", _R5),
    _stratified("S1", "high", _PT, "physiotherapy_psychologically_informed", _S1),
    _stratified("S2", "medium", _PT, "physiotherapy", _S2),
    _stratified("S3", "low", _HC, "self_care", _S3),
    _in_group("step_up", "P1", "Persistent pain", "pain_duration_days > 42", ("physiotherapy",),
              ("none",), CLINIC_POLICY, _P1),
    _in_group("step_up", "P2", "Recurrent pain", "prior_episodes_12m >= 3", ("physiotherapy",),
              ("none",), CLINIC_POLICY, _P2),
)  # fmt: skip
