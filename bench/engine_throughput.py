"""Engine decisions per second on one core.

    .venv/bin/python bench/engine_throughput.py [--seconds 5]

Pins itself to one CPU, then times `evaluate` over a fixed, seeded mix of answer sets: the
clinical vignettes plus random valid answers, so every rule path is exercised.

The headline figure is wall-clock time, as before. On a shared machine other processes also
run on the pinned core, and that time counts against the engine; the CPU time this process
actually got is reported beside it (and their ratio), so a busy neighbour shows up as a low
on-CPU share rather than as a slower engine.
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
    parser.add_argument("--cpu", type=int, help="core to pin to (default: the first allowed)")
    args = parser.parse_args()
    pinned = "not pinned (no sched_setaffinity)"
    if hasattr(os, "sched_setaffinity"):
        core = sorted(os.sched_getaffinity(0))[0] if args.cpu is None else args.cpu
        os.sched_setaffinity(0, {core})
        pinned = f"pinned to core {core}"

    rng = random.Random(2026)
    cases = [(case["answers"], case["age"]) for case in json.loads(VIGNETTES.read_text())]
    vignettes = len(cases)
    cases += [(random_answers(rng), rng.randint(10, 95)) for _ in range(2000)]

    for answers, age in cases:  # warm up
        evaluate(answers, age)
    decisions = 0
    cpu_started = time.thread_time()
    started = time.perf_counter()
    deadline = started + args.seconds
    while time.perf_counter() < deadline:
        for answers, age in cases:
            evaluate(answers, age)
        decisions += len(cases)
    elapsed = time.perf_counter() - started
    cpu = time.thread_time() - cpu_started

    print(f"python {platform.python_version()} on {platform.machine()}, {pinned}")
    seeded = len(cases) - vignettes
    print(f"answer sets: {len(cases)} ({vignettes} vignettes + {seeded} seeded random)")
    print(
        f"decisions: {decisions} in {elapsed:.2f} s wall, {cpu:.2f} s on CPU ({cpu / elapsed:.0%})"
    )
    print(f"engine decisions per second (one core): {decisions / elapsed:,.0f}")
    print(f"mean time per decision: {elapsed / decisions * 1e6:.1f} us")
    print(
        f"per CPU second (excludes time the core ran other work): {decisions / cpu:,.0f}/s, "
        f"{cpu / decisions * 1e6:.1f} us"
    )


if __name__ == "__main__":
    main()
