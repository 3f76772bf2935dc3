"""Answers and age in, a decision out (SPEC §1 and §4)."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .advice import Advice, advise
from .facts import Facts
from .red_flags import RedFlag, find_red_flags
from .rules import RULES, Rule
from .startback import StartBack
from .vocabulary import DISPOSITION_RANK, RULESET_VERSION, URGENCY_RANK


@dataclass(frozen=True, slots=True)
class Reason:
    rule_id: str
    text: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "text": self.text, "source": self.source}


@dataclass(frozen=True, slots=True)
class Decision:
    disposition: str
    urgency: str
    service: str
    imaging: str
    startback: StartBack
    red_flags: tuple[RedFlag, ...]
    reasons: tuple[Reason, ...]
    advice: tuple[Advice, ...]
    age: int
    ruleset_version: str = RULESET_VERSION

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(reason.rule_id for reason in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data: what the API returns and the assessment stores."""
        return {
            "disposition": self.disposition,
            "urgency": self.urgency,
            "service": self.service,
            "imaging": self.imaging,
            "startback": self.startback.as_dict(),
            "red_flags": [flag.as_dict() for flag in self.red_flags],
            "reasons": [reason.as_dict() for reason in self.reasons],
            "advice": [item.as_dict() for item in self.advice],
            "age": self.age,
            "ruleset_version": self.ruleset_version,
        }


def _rank(rule: Rule) -> int:
    """Disposition then urgency folded into one int, ordered as the (disposition, urgency) pair."""
    return DISPOSITION_RANK[rule.disposition] * len(URGENCY_RANK) + URGENCY_RANK[rule.urgency]


# Precomputed once per rule, so the loop in `evaluate` neither looks up a rule's check nor
# ranks its outcome per decision, and compares ranks as single ints.
_RANKED = tuple((rule.check, rule, _rank(rule)) for rule in RULES)


# A Reason is immutable and its text comes from a small set (the texts that vary only list
# which findings were seen), so each distinct reason is built once and then shared: building a
# frozen dataclass costs more than the cache lookup, and every decision carries several.
@lru_cache(maxsize=4096)
def _reason(rule_id: str, text: str, source: str) -> Reason:
    return Reason(rule_id, text, source)


def evaluate(answers: Mapping[str, Any], age: int) -> Decision:
    """Grade one intake. `answers` must already be valid (SPEC §2); `age` is whole years.

    Every rule whose condition holds becomes a reason, in rule-table order. The outcome is the
    highest disposition then urgency among them; the first rule reaching it sets the service
    and imaging. Nothing lowers an outcome, so adding a finding can only keep or raise it.
    """
    facts = Facts(answers, age)
    reasons: list[Reason] = []
    best_rank = -1
    best_rule: Rule | None = None
    best_firing = None
    # Every rule is checked, none skipped: each one that holds is a reason (SPEC §4).
    for check, rule, rank in _RANKED:
        firing = check(facts)
        if firing is None:
            continue
        reasons.append(_reason(rule.id, firing.text, rule.source))
        if rank > best_rank:
            best_rank, best_rule, best_firing = rank, rule, firing
    # One of S1-S3 always holds, so a decision always has a rule behind it.
    assert best_rule is not None and best_firing is not None
    return Decision(
        disposition=best_rule.disposition,
        urgency=best_rule.urgency,
        service=best_firing.service,
        imaging=best_firing.imaging,
        startback=facts.startback,
        red_flags=find_red_flags(facts),
        reasons=tuple(reasons),
        advice=advise(facts, best_rule.disposition),
        age=age,
    )


def advice_for(answers: Mapping[str, Any], age: int, disposition: str) -> tuple[Advice, ...]:
    """The advice for these answers under a given disposition, such as a clinician's override."""
    return advise(Facts(answers, age), disposition)
