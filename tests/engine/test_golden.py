"""Ruleset 2026.1 gives, for every case of the recorded corpus, byte for byte the decision it
gave when the record was made (tests/engine/golden.py says how and why)."""

import json

from tests.engine.golden import corpus, digest, load
from triage.engine import evaluate


def test_every_recorded_2026_1_decision_is_unchanged():
    golden = load()
    seen = set()
    changed = []
    for case_id, answers, age in corpus():
        seen.add(case_id)
        decision = evaluate(answers, age, ruleset="2026.1").as_dict()
        if digest(decision) != golden.get(case_id):
            changed.append(f"{case_id}: {json.dumps(decision, sort_keys=True)}")
    assert seen == set(golden), "the corpus and the record name different cases"
    assert not changed, f"{len(changed)} decisions changed:\n" + "\n".join(changed[:20])
