"""Engine decisions per second on one core.

    .venv/bin/python bench/engine_throughput.py [--seconds 5]

Pins itself to one CPU, then times `evaluate` over a fixed, seeded mix of answer sets: the
clinical vignettes plus random valid answers, so every rule path is exercised.
"""

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.engine import evaluate  # noqa: E402
from triage.engine import vocabulary as v  # noqa: E402

VIGNETTES = (
    Path(os.environ.get("CLINICAL_DIR", ROOT.parent / "shared" / "clinical")) / "vignettes.json"
)


def random_answers(rng: random.Random) -> dict:
    def pick(values):
        return rng.choice(values)

    answers = {
        "pain_duration_days": rng.randint(0, 400),
        "pain_score": rng.randint(0, 10),
        "spasm_present": rng.random() < 0.5,
        "suspected_triggers": rng.sample(v.TRIGGERS, rng.randint(0, 2)),
        "first_ever_episode": rng.random() < 0.3,
        "prior_episodes_12m": rng.randint(0, 6),
        "self_care_not_helping": rng.random() < 0.3,
        "completed_physiotherapy": rng.random() < 0.1,
        "radiation_below_knee": rng.random() < 0.2,
        "bilateral_leg_symptoms": rng.random() < 0.05,
        "leg_numbness": rng.random() < 0.1,
        "leg_weakness": pick(v.LEG_WEAKNESS),
        "trauma": pick(v.TRAUMA),
        "inflammatory_features": rng.sample(v.INFLAMMATORY_FEATURES, rng.randint(0, 4)),
        "startback": {item: rng.random() < 0.3 for item in v.STARTBACK_ITEMS},
    }
    answers["startback"]["bothersomeness"] = pick(v.BOTHERSOMENESS)
    for item in v.RED_FLAG_ITEMS:
        answers[item] = rng.choices(v.RED_FLAG_ANSWERS, weights=(1, 18, 1))[0]
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    rng = random.Random(2026)
    cases = [(case["answers"], case["age"]) for case in json.loads(VIGNETTES.read_text())]
    cases += [(random_answers(rng), rng.randint(10, 95)) for _ in range(2000)]

    for answers, age in cases:  # warm up
        evaluate(answers, age)
    decisions = 0
    started = time.perf_counter()
    deadline = started + args.seconds
    while time.perf_counter() < deadline:
        for answers, age in cases:
            evaluate(answers, age)
        decisions += len(cases)
    elapsed = time.perf_counter() - started

    print(f"python {platform.python_version()} on {platform.machine()}, one core pinned")
    print(f"answer sets: {len(cases)} (20 vignettes + {len(cases) - 20} seeded random)")
    print(f"decisions: {decisions} in {elapsed:.2f} s")
    print(f"engine decisions per second (one core): {decisions / elapsed:,.0f}")
    print(f"mean time per decision: {elapsed / decisions * 1e6:.1f} us")


if __name__ == "__main__":
    main()
