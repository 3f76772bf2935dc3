"""A branch's history on 2026.1, and what a replay of it should find, worked out here from the
API's own reads and the engine's public `evaluate`, independently of triage.replays."""

import random
from collections import Counter
from typing import Any

from rest_framework.test import APIClient

from tests.api.helpers import INTAKES, post_json, vignette_body
from tests.clinical_contract import vignettes
from tests.conftest import intake_body
from tests.engine.golden import random_intake
from triage.engine import evaluate
from triage.engine.vocabulary import DISPOSITION_RANK, URGENCY_RANK

RULESETS = "/api/v1/rulesets/"
REPLAYS = "/api/v1/replays/"


def replays_url(version: str) -> str:
    return f"{RULESETS}{version}/replays/"


def store_history(desk: APIClient, *, random_intakes: int = 40, seed: int = 13) -> int:
    # (The random patients' ids carry the seed: another seed, other patients.)
    """Post every vignette of both contract files and some seeded random intakes through the
    reception API; returns how many were stored."""
    bodies = [vignette_body(v) for v in (*vignettes("2026.1"), *vignettes("2026.2"))]
    rng = random.Random(seed)
    for n in range(random_intakes):
        answers, age = random_intake(rng)
        age = max(age, 1)  # a date of birth today or later is refused
        body = intake_body(external_id=f"RND-{seed}-{n}", age=age)
        bodies.append({**body, "answers": answers})
    for body in bodies:
        response = post_json(desk, INTAKES, body)
        assert response.status_code == 201, response.content
    return len(bodies)


def _pair(outcome: dict[str, Any]) -> str:
    return f"{outcome['disposition']}/{outcome['urgency']}"


def _rank(pair: str) -> tuple[int, int]:
    disposition, urgency = pair.split("/")
    return DISPOSITION_RANK[disposition], URGENCY_RANK[urgency]


def expected_replay(clinician: APIClient, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summary a replay of `version` must report over every intake the clinician can read,
    and its changes by intake id, recomputed from each intake as the API shows it (stored
    answers, the decision's age and outcome)."""
    counts: Counter[str] = Counter()
    matrix: Counter[tuple[str, str]] = Counter()
    changes: dict[str, Any] = {}
    url = f"{INTAKES}?page_size=100"
    while url:
        page = clinician.get(url)
        assert page.status_code == 200, page.content
        for item in page.json()["results"]:
            intake = clinician.get(f"{INTAKES}{item['id']}/").json()
            stored = intake["assessment"]
            assert stored["ruleset_version"] == "2026.1"
            after = evaluate(intake["answers"], stored["age"], ruleset=version)
            before_pair, after_pair = _pair(stored), _pair(after.as_dict())
            counts["intakes"] += 1
            matrix[before_pair, after_pair] += 1
            keys = ("disposition", "urgency", "service", "imaging")
            stored_rules = [reason["rule_id"] for reason in stored["reasons"]]
            if all(stored[k] == getattr(after, k) for k in keys):
                counts["rules_only"] += set(stored_rules) != set(after.rule_ids)
                continue
            counts["changed"] += 1
            if before_pair == after_pair:
                kind = "service_only"
            elif _rank(after_pair) < _rank(before_pair):
                kind = "under_triage"
            else:
                kind = "over_triage"
            counts[{"service_only": "service_only", "under_triage": "under_triaged",
                    "over_triage": "over_triaged"}[kind]] += 1  # fmt: skip
            changes[item["id"]] = {
                "intake": item["id"],
                "kind": kind,
                "from": {k: stored[k] for k in keys},
                "to": {k: getattr(after, k) for k in keys},
                "rules_added": [r for r in after.rule_ids if r not in stored_rules],
                "rules_removed": [r for r in stored_rules if r not in after.rule_ids],
            }
        url = page.json()["next"]
    names = ("intakes", "changed", "under_triaged", "over_triaged", "service_only", "rules_only")
    summary: dict[str, Any] = {name: counts[name] for name in names}
    summary["matrix"] = sorted(
        ({"from": b, "to": a, "count": n} for (b, a), n in matrix.items()),
        key=lambda row: (row["from"], row["to"]),
    )
    return summary, changes


def all_changes(client: APIClient, replay_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    url = f"{REPLAYS}{replay_id}/changes/"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        for change in page.json()["results"]:
            found[change["intake"]] = change
        url = page.json()["next"]
    return found
