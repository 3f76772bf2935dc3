"""Ruleset 2026.1's decisions, pinned: a fixed corpus of intakes and a short hash of each one's
decision, recorded from the engine as it was before rulesets became data.

2026.1 must never change (SPEC-2026.2: a decision made under 2026.1 is re-evaluated under 2026.1
forever), so every rewrite of the engine is checked against this record, decision by decision,
not just against the tests' expectations. Record it again only for a deliberate change:

    .venv/bin/python -m tests.engine.golden

The corpus is every vignette of both contract files, the boundaries of SPEC §4 on a grid of
ages, durations and findings, every pair of red-flag or neurological findings, and a few
thousand seeded random intakes.
"""

import hashlib
import itertools
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.clinical_contract import vignettes
from tests.engine import spec
from tests.engine.builders import ADULT_AGE, baseline_answers, startback_items, with_startback

GOLDEN_FILE = Path(__file__).with_name("golden-2026.1.json")
RANDOM_CASES = 3000
SEED = 20260101

Case = tuple[str, dict[str, Any], int]

AGES = (0, 15, 16, 19, 20, 24, 34, 35, 44, 45, 49, 50, 69, 70, 110)
DURATIONS = (0, 27, 28, 42, 43, 90, 91, 366, 1461, 1462, 2200, 3650)
THREE_FEATURES = ["night_waking_second_half", "buttock_pain", "improves_with_movement"]

# Findings that move the rules whose boundaries the grid walks (R1-R5, U2, E2/R3), including
# those 2026.2 reads differently: risk factors as weak flags (C2) and onset before 20 (C3).
PROFILES: dict[str, dict[str, Any]] = {
    "none": {},
    "first": {"first_ever_episode": True},
    "first+thoracic": {"first_ever_episode": True, "thoracic_pain": "yes"},
    "selfcare+night": {"self_care_not_helping": True, "night_pain_unremitting": "unknown"},
    "ibp2": {"inflammatory_features": THREE_FEATURES[:2]},
    "ibp3": {"inflammatory_features": THREE_FEATURES},
    "bilateral": {"bilateral_leg_symptoms": True},
    "physio+radiation": {"completed_physiotherapy": True, "radiation_below_knee": True},
    "minor_trauma": {"trauma": "minor"},
    "osteo+first": {"osteoporosis_or_steroids": "yes", "first_ever_episode": True},
    "immuno+thoracic": {"immunosuppression_or_iv_drug_use": "yes", "thoracic_pain": "yes"},
    "osteo+night": {"osteoporosis_or_steroids": "yes", "night_pain_unremitting": "yes"},
    "immuno+osteo": {"immunosuppression_or_iv_drug_use": "yes", "osteoporosis_or_steroids": "yes"},
}

# One finding each: the pairs of these cover U4 with U5 (C1) and every tie-break among E and U.
FINDINGS: tuple[tuple[str, Any], ...] = (
    *((item, answer) for item in spec.RED_FLAG_ITEMS for answer in ("yes", "unknown")),
    *(("trauma", trauma) for trauma in ("minor", "major", "unknown")),
    *(("leg_weakness", weakness) for weakness in ("stable", "progressive")),
    ("bilateral_leg_symptoms", True),
    ("leg_numbness", True),
)


def _vignette_cases() -> Iterator[Case]:
    for version in ("2026.1", "2026.2"):
        for case in vignettes(version):
            yield f"vignette/{version}/{case['id']}", case["answers"], case["age"]


def _grid_cases() -> Iterator[Case]:
    for (name, profile), age, days in itertools.product(PROFILES.items(), AGES, DURATIONS):
        yield (
            f"grid/{name}/a{age}/d{days}",
            baseline_answers(**profile, pain_duration_days=days),
            age,
        )


def _single_finding_cases() -> Iterator[Case]:
    singles: list[tuple[str, dict[str, Any]]] = [
        (f"{field}={value}", {field: value}) for field, value in FINDINGS
    ]
    singles += [(f"{field}=true", {field: True}) for field in spec.BOOLEAN_FIELDS]
    singles += [(f"pain_score={score}", {"pain_score": score}) for score in range(11)]
    singles += [(f"prior_episodes_12m={n}", {"prior_episodes_12m": n}) for n in (2, 3, 52)]
    singles += [("triggers=all", {"suspected_triggers": list(spec.TRIGGERS)})]
    for age, (label, overrides) in itertools.product((12, ADULT_AGE, 75), singles):
        yield f"single/{label}/a{age}", baseline_answers(**overrides), age


def _pair_cases() -> Iterator[Case]:
    for (field_a, value_a), (field_b, value_b) in itertools.combinations(FINDINGS, 2):
        if field_a != field_b:
            answers = baseline_answers(**{field_a: value_a, field_b: value_b})
            yield f"pair/{field_a}={value_a}/{field_b}={value_b}", answers, ADULT_AGE


def _startback_cases() -> Iterator[Case]:
    for physical, psychosocial, bothersome in itertools.product(range(5), range(5), (False, True)):
        items = startback_items(physical, psychosocial, bothersome)
        answers = with_startback(baseline_answers(pain_duration_days=43), **items)
        yield f"startback/{physical}/{psychosocial}/{int(bothersome)}", answers, ADULT_AGE


# How often each kind of answer is drawn in the random cases: findings are uncommon, so that
# quiet patients (home care, physiotherapy, routine referrals) are common too.
RED_FLAG_WEIGHTS = {"no": 16, "yes": 2, "unknown": 1}
LEG_WEAKNESS_WEIGHTS = {"none": 8, "stable": 2, "progressive": 1}
TRAUMA_WEIGHTS = {"none": 12, "minor": 3, "major": 1, "unknown": 1}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def random_intake(rng: random.Random) -> tuple[dict[str, Any], int]:
    """One valid intake (SPEC §2) and an age, drawn from `rng`."""
    low, high = spec.PAIN_DURATION_RANGE
    answers: dict[str, Any] = {
        "pain_duration_days": rng.randint(low, rng.choice((60, 400, high))),
        "pain_score": rng.randint(*spec.PAIN_SCORE_RANGE),
        "prior_episodes_12m": rng.randint(0, rng.choice((4, spec.PRIOR_EPISODES_RANGE[1]))),
        "leg_weakness": _weighted(rng, LEG_WEAKNESS_WEIGHTS),
        "trauma": _weighted(rng, TRAUMA_WEIGHTS),
    }
    answers.update((field, rng.random() < 0.25) for field in spec.BOOLEAN_FIELDS)
    answers.update((item, _weighted(rng, RED_FLAG_WEIGHTS)) for item in spec.RED_FLAG_ITEMS)
    startback: dict[str, Any] = {item: rng.random() < 0.3 for item in spec.STARTBACK_ITEMS}
    startback["bothersomeness"] = rng.choice(spec.BOTHERSOMENESS)
    answers["startback"] = startback
    optional = {
        "suspected_triggers": spec.TRIGGERS,
        "inflammatory_features": spec.INFLAMMATORY_FEATURES,
    }
    for field, choices in optional.items():
        if rng.random() < 0.8:  # optional: sometimes absent altogether
            answers[field] = rng.sample(choices, rng.randint(0, 4))
    return answers, rng.randint(0, 110)


def _random_cases() -> Iterator[Case]:
    rng = random.Random(SEED)
    for number in range(RANDOM_CASES):
        answers, age = random_intake(rng)
        yield f"random/{number:04d}", answers, age


def corpus() -> Iterator[Case]:
    """(case id, answers, age) for every case of the record, always the same and in one order."""
    yield from _vignette_cases()
    yield from _grid_cases()
    yield from _single_finding_cases()
    yield from _pair_cases()
    yield from _startback_cases()
    yield from _random_cases()


def digest(decision_dict: dict[str, Any]) -> str:
    """A short hash of a decision's canonical JSON: equal hashes mean byte-identical output."""
    canonical = json.dumps(decision_dict, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def record(decide: Callable[[dict[str, Any], int], Any]) -> dict[str, str]:
    """Case id -> digest of `decide(answers, age).as_dict()` over the corpus."""
    digests: dict[str, str] = {}
    for case_id, answers, age in corpus():
        assert case_id not in digests, f"two cases are named {case_id}"
        digests[case_id] = digest(decide(answers, age).as_dict())
    return digests


def load() -> dict[str, str]:
    return json.loads(GOLDEN_FILE.read_text())


if __name__ == "__main__":
    from triage.engine import ruleset

    golden = record(ruleset("2026.1").evaluate)
    GOLDEN_FILE.write_text(json.dumps(golden, indent=0) + "\n")
    print(f"{len(golden)} decisions recorded in {GOLDEN_FILE}")
