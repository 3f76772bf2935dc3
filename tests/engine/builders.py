"""Answer builders for engine tests: a patient with no findings, and ways to add findings."""

import copy
from typing import Any

from tests.engine.spec import BOTHERSOMENESS, STARTBACK_ITEMS

# A working-age adult: 16 or over (adult pathway), 20-49 (no new-onset weak flag), under 70.
ADULT_AGE = 40


def baseline_startback(**items: Any) -> dict[str, Any]:
    """STarT Back items with none agreed and bothersomeness `slightly` (total 0, low risk)."""
    startback: dict[str, Any] = dict.fromkeys(STARTBACK_ITEMS, False)
    startback["bothersomeness"] = "slightly"
    return _update_known(startback, items, "STarT Back item")


def baseline_answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid answers dict (SPEC §2) for a patient with no findings.

    Every boolean is false, every red flag is `no`, trauma `none`, leg_weakness `none`, a
    5-day episode scoring 3/10, no earlier episodes, empty optional lists and a STarT Back
    score of 0. Per SPEC §4 only S3 holds for it. Keyword overrides replace fields; an
    unknown field name is an error so a typo cannot silently test the baseline.
    """
    answers: dict[str, Any] = {
        "pain_duration_days": 5,
        "pain_score": 3,
        "spasm_present": False,
        "suspected_triggers": [],
        "first_ever_episode": False,
        "prior_episodes_12m": 0,
        "self_care_not_helping": False,
        "completed_physiotherapy": False,
        "radiation_below_knee": False,
        "bilateral_leg_symptoms": False,
        "leg_numbness": False,
        "leg_weakness": "none",
        "bladder_bowel_change": "no",
        "saddle_numbness": "no",
        "sexual_dysfunction_new": "no",
        "fever": "no",
        "cancer_history": "no",
        "unexplained_weight_loss": "no",
        "trauma": "none",
        "osteoporosis_or_steroids": "no",
        "immunosuppression_or_iv_drug_use": "no",
        "night_pain_unremitting": "no",
        "thoracic_pain": "no",
        "inflammatory_features": [],
        "startback": baseline_startback(),
    }
    return _update_known(answers, copy.deepcopy(overrides), "answer field")


def with_startback(answers: dict[str, Any], **items: Any) -> dict[str, Any]:
    """A copy of `answers` with the given STarT Back items set (the input is not changed)."""
    updated = copy.deepcopy(answers)
    _update_known(updated["startback"], items, "STarT Back item")
    return updated


def startback_items(physical: int = 0, psychosocial: int = 0, bothersome: bool = False) -> dict:
    """STarT Back item values agreeing to `physical` of items 1-4 and `psychosocial` of
    items 5-8, with item 9 scoring (`very_much`) when `bothersome`."""
    assert 0 <= physical <= 4 and 0 <= psychosocial <= 4
    items: dict[str, Any] = {}
    for name in STARTBACK_ITEMS[:physical]:
        items[name] = True
    for name in STARTBACK_ITEMS[4 : 4 + psychosocial]:
        items[name] = True
    items["bothersomeness"] = "very_much" if bothersome else "slightly"
    assert items["bothersomeness"] in BOTHERSOMENESS
    return items


def _update_known(target: dict[str, Any], updates: dict[str, Any], what: str) -> dict[str, Any]:
    unknown = set(updates) - set(target)
    if unknown:
        raise KeyError(f"not a {what}: {', '.join(sorted(unknown))}")
    target.update(updates)
    return target
