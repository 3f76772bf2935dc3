"""Engine decisions per second on one core, for each ruleset side by side.

    .venv/bin/python bench/engine_throughput.py [--seconds 5]

Pins itself to one CPU, then times each ruleset's `evaluate` over the same fixed, seeded mix of
answer sets: the clinical vignettes plus random valid answers, so every rule path is exercised.
A 2026.2 decision includes its watch_for. The rulesets take turns in one-second slices, so a
busy neighbour slows them alike.

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

from triage.engine import RULESETS, Ruleset  # noqa: E402
from triage.engine import vocabulary as v  # noqa: E402

# The project's own copy of the clinical contract (docs/clinical/README.md).
VIGNETTES = Path(os.environ.get("CLINICAL_DIR", ROOT / "docs" / "clinical")) / "vignettes.json"
SLICE_SECONDS = 1.0


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


class Timing:
    """One ruleset's decisions and the wall and CPU time they took."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.decisions = 0
        self.wall = 0.0
        self.cpu = 0.0

    def run(self, cases: list[tuple[dict, int]], seconds: float) -> None:
        evaluate = self.ruleset.evaluate
        cpu_started = time.thread_time()
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            for answers, age in cases:
                evaluate(answers, age)
            self.decisions += len(cases)
        self.wall += time.perf_counter() - started
        self.cpu += time.thread_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per ruleset")
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

    timings = [Timing(ruleset) for ruleset in RULESETS.values()]
    for ruleset in RULESETS.values():  # warm up
        for answers, age in cases:
            ruleset.evaluate(answers, age)
    slices = max(1, round(args.seconds / SLICE_SECONDS))
    for _ in range(slices):
        for timing in timings:
            timing.run(cases, args.seconds / slices)

    print(f"python {platform.python_version()} on {platform.machine()}, {pinned}")
    seeded = len(cases) - vignettes
    print(f"answer sets: {len(cases)} ({vignettes} vignettes + {seeded} seeded random)")
    for t in timings:
        extra = " (with watch_for)" if t.ruleset.watch_for is not None else ""
        print(f"ruleset {t.ruleset.version}{extra}:")
        print(
            f"  decisions: {t.decisions} in {t.wall:.2f} s wall, {t.cpu:.2f} s on CPU "
            f"({t.cpu / t.wall:.0%})"
        )
        print(f"  engine decisions per second (one core): {t.decisions / t.wall:,.0f}")
        print(f"  mean time per decision: {t.wall / t.decisions * 1e6:.1f} us")
        print(
            f"  per CPU second (excludes time the core ran other work): "
            f"{t.decisions / t.cpu:,.0f}/s, {t.cpu / t.decisions * 1e6:.1f} us"
        )


if __name__ == "__main__":
    main()
