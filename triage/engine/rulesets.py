"""The rulesets, side by side: each version is data, and a later version is an earlier one with
its changes applied. A decision names the version it was made under and can always be made again
under that version.

    from triage.engine import evaluate
    evaluate(answers, age)                      # ruleset 2026.1, the default
    evaluate(answers, age, ruleset="2026.2")    # or RULESETS["2026.2"].evaluate(answers, age)

Adding a version means adding a `revise` of the one before (new data, reusing the rules' checks),
never editing a version that decisions have been made under.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

from .advice import ADVICE_2026_1, Advice
from .decision import Decision
from .rules import RULES, two_or_more_weak_flags
from .ruleset import Change, Hazard, Ruleset
from .sources import NG59
from .vocabulary import RULESET_VERSION
from .watch_for import WATCH_FOR_2026_2
from .weak_flags import WEAK_FLAGS_2026_1, WEAK_FLAGS_2026_2


class UnknownRuleset(ValueError):
    """A ruleset version the engine does not hold."""


# --- 2026.2 (SPEC-2026.2.md) ------------------------------------------------------------------

CHANGES_2026_2 = (
    Change("C1", "An unresolved answer calls back before the GP: the urgent rules are evaluated "
           "in the order U1, U2, U3, U5, U4, so when U4 and U5 both fire (and no U1-U3) the "
           "service is clinician_callback", ("H-03",), ("U4", "U5")),
    Change("C2", "Risk factors count as weak flags: immunosuppression_or_iv_drug_use yes and "
           "osteoporosis_or_steroids yes join R4's weak flags", ("H-07",), ("R4",)),
    Change("C3", "A first episode that began in youth: the new-onset weak flag also holds when "
           "the age at onset is under 20", ("H-08",), ("R4",)),
    Change("C4", "Personalised safety-netting: every decision lists watch_for, the findings "
           "that would raise its urgency (advice; no rule changes)", ("H-10",), ()),
    Change("C5", "What monotonic means, exactly (no decision changes)", (), ()),
    Change("C6", "R2's formula stated: age at onset is age - pain_duration_days / 365.25 (no "
           "decision changes)", (), ()),
)  # fmt: skip

HAZARDS_2026_2 = (
    Hazard("H-01", "cauda equina syndrome not sent for same-day emergency assessment",
           ("E1", "E2", "U5", "C4")),
    Hazard("H-02", "metastatic spinal cord compression missed or imaged late", ("E4", "U3", "C4")),
    Hazard("H-03", "spinal infection in an at-risk patient missed or sent to a routine route",
           ("E3", "U4", "U5 (C1)")),
    Hazard("H-04", "fracture after major trauma or in fragile bone missed", ("E5", "U2")),
    Hazard("H-05", "progressive neurological deficit not seen within days", ("U1", "E2")),
    Hazard("H-06", 'an unanswered red-flag question treated as "no"', ("U5",)),
    Hazard("H-07", "a known risk factor (immunosuppression, long-term steroids) ignored",
           ("E3", "U2", "R4 (C2)")),
    Hazard("H-08", "serious pathology behind an atypical first episode missed",
           ("R4 (C3)", "R5")),
    Hazard("H-09", "inflammatory or stenotic disease left without specialist review",
           ("R2", "R3", "R1")),
    Hazard("H-10", "a patient sent home without knowing which new symptoms need help at once",
           ("advice", "watch_for (C4)")),
    Hazard("H-11", "over-referral and needless imaging of simple back pain",
           ("S1-S3", "imaging only for medical referrals")),
)  # fmt: skip


# --- 2026.1 (SPEC-2026.1.md) ------------------------------------------------------------------

# SPEC-2026.1 has no hazard log of its own. 2026.1's is 2026.2's as it stood before 2026.2's
# changes: the controls that exist only because of them taken out (C4's watch_for for H-01,
# H-02 and H-10; R4 for H-07, which is C2) and the "(C…)" notes dropped from the controls
# 2026.1 already had (U5 for H-03, R4 for H-08).
_ADDED_BY_2026_2 = {
    "H-01": {"C4"},
    "H-02": {"C4"},
    "H-07": {"R4 (C2)"},
    "H-10": {"watch_for (C4)"},
}
_CHANGE_NOTE = re.compile(r" \(C\d+\)$")

HAZARDS_2026_1 = tuple(
    Hazard(
        hazard.id,
        hazard.hazard,
        tuple(
            _CHANGE_NOTE.sub("", control)
            for control in hazard.controlled_by
            if control not in _ADDED_BY_2026_2.get(hazard.id, ())
        ),
    )
    for hazard in HAZARDS_2026_2
)

RULESET_2026_1 = Ruleset(
    "2026.1", date(2026, 1, 1), RULES, WEAK_FLAGS_2026_1, ADVICE_2026_1, hazards=HAZARDS_2026_1
)


def _moved(order: Sequence[str], rule_id: str, *, before: str) -> tuple[str, ...]:
    """`order` with one rule moved to just before another."""
    rest = [other for other in order if other != rule_id]
    rest.insert(rest.index(before), rule_id)
    return tuple(rest)


RULESET_2026_2 = RULESET_2026_1.revise(
    version="2026.2",
    released=date(2026, 6, 1),
    changes=CHANGES_2026_2,
    hazards=HAZARDS_2026_2,
    # C1: U5 before U4.
    order=_moved(RULESET_2026_1.order, "U5", before="U4"),
    # C2 and C3: R4 counts the risk factors, and a first episode that began before 20.
    weak_flags=WEAK_FLAGS_2026_2,
    replace=[two_or_more_weak_flags(WEAK_FLAGS_2026_2, f"{NG59} 1.1.1; ruleset 2026.2 (C2, C3)")],
    # C4.
    watch_for=WATCH_FOR_2026_2,
)

# --- The registry -----------------------------------------------------------------------------

RULESETS: Mapping[str, Ruleset] = MappingProxyType(
    {rules.version: rules for rules in (RULESET_2026_1, RULESET_2026_2)}  # oldest first
)
LATEST: Ruleset = list(RULESETS.values())[-1]


def ruleset(version: str) -> Ruleset:
    """The ruleset of this version; UnknownRuleset when the engine holds no such version."""
    try:
        return RULESETS[version]
    except (KeyError, TypeError):
        raise UnknownRuleset(f"no ruleset {version!r}; the engine holds {list(RULESETS)}") from None


def _chosen(rules: str | Ruleset) -> Ruleset:
    return rules if isinstance(rules, Ruleset) else ruleset(rules)


def evaluate(
    answers: Mapping[str, Any], age: int, *, ruleset: str | Ruleset = RULESET_VERSION
) -> Decision:
    """Grade one intake under a ruleset (a version, or the Ruleset itself): 2026.1 unless named.

    `answers` must already be valid (SPEC §2); `age` is whole years on the intake date."""
    return _chosen(ruleset).evaluate(answers, age)


def advice_for(
    answers: Mapping[str, Any],
    age: int,
    disposition: str,
    *,
    ruleset: str | Ruleset = RULESET_VERSION,
) -> tuple[Advice, ...]:
    """The advice for these answers under a given disposition, such as a clinician's override."""
    return _chosen(ruleset).advice_for(answers, age, disposition)
