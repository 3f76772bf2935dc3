"""A ruleset: one version of the clinical rules as a value, and how it grades an intake.

A ruleset is data (its rules in their order, its weak flags, its advice, its watch_for table,
its changes and hazard log); everything it needs per decision is worked out once, when it is
built. rulesets.py holds the versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from .advice import Advice, AdvicePlan
from .decision import Decision, Reason
from .facts import Facts, LazyFacts
from .record import Record
from .red_flags import find_red_flags
from .rules import Rule, Words
from .vocabulary import DISPOSITIONS, URGENCIES, URGENCY_RANK
from .watch_for import WatchFinding, WatchFor
from .weak_flags import WeakFlag


@dataclass(frozen=True, slots=True)
class Change(Record):
    """One change from the ruleset before: why (the hazards) and what it touches (the rules)."""

    id: str
    summary: str
    hazards: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hazard(Record):
    """One entry of a ruleset's hazard log: what could harm a patient, and what controls it."""

    id: str
    hazard: str
    controlled_by: tuple[str, ...]


# A decision's outcome as one int, ordered as the (disposition, urgency) pair, so the rules'
# outcomes compare as single ints.
class Graded(NamedTuple):
    """An outcome and the ids of the rules that hold, in evaluation order (Ruleset.grade)."""

    disposition: str
    urgency: str
    service: str
    imaging: str
    rule_ids: tuple[str, ...]


_OUTCOMES = tuple((d, u) for d in DISPOSITIONS for u in URGENCIES)
_RANK = {outcome: rank for rank, outcome in enumerate(_OUTCOMES)}
_TOP_URGENCY = len(URGENCIES) - 1


@dataclass(frozen=True, eq=False)
class Ruleset:
    """One version of the rules. Compared by identity: two rulesets are never interchangeable,
    even where their rules agree."""

    version: str
    released: date
    rules: tuple[Rule, ...]  # in order of evaluation
    weak_flags: tuple[WeakFlag, ...]  # what R4 counts
    advice: AdvicePlan
    changes: tuple[Change, ...] = ()
    hazards: tuple[Hazard, ...] = ()
    watch_for: tuple[WatchFinding, ...] | None = None  # None: decisions carry no watch_for
    # Worked out once from the fields above (see __post_init__).
    _run: tuple[Any, ...] = field(init=False, repr=False)
    _watch: tuple[Any, ...] = field(init=False, repr=False)
    _grade: tuple[Any, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError(f"ruleset {self.version}: a rule id appears twice in {ids}")
        # watch_for re-evaluates only the rules above the decision's urgency. That is exact
        # because any rule above `routine` is a medical referral (SPEC §1: home care and
        # physiotherapy are always routine), so such a rule decides the urgency whenever it
        # holds. A ruleset that broke this would need watch_for worked out another way.
        for rule in self.rules:
            if rule.urgency != URGENCIES[0] and rule.disposition != DISPOSITIONS[-1]:
                raise ValueError(f"ruleset {self.version}: {rule.id} is urgent but not a referral")
        # What each evaluation reads, in one attribute.
        table = tuple(_table_row(rule) for rule in self.rules)
        watching = self.watch_for is not None
        object.__setattr__(self, "_run", (table, self.weak_flags, self.advice.advise, watching))
        grading = tuple(
            (holds, rule.id, row[3], row[4])
            for rule, (holds, row) in zip(self.rules, table, strict=True)
        )
        object.__setattr__(self, "_grade", (grading, self.weak_flags))
        object.__setattr__(self, "_watch", tuple(self._watch_row(w) for w in self.watch_for or ()))

    # --- Reading the ruleset ------------------------------------------------------------------

    @property
    def order(self) -> tuple[str, ...]:
        """The rule ids in order of evaluation."""
        return tuple(rule.id for rule in self.rules)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    # --- Grading --------------------------------------------------------------------------------

    def evaluate(self, answers: Mapping[str, Any], age: int) -> Decision:
        """Grade one intake. `answers` must already be valid (SPEC §2); `age` is whole years.

        Every rule whose condition holds becomes a reason, in this ruleset's order. The outcome
        is the highest disposition then urgency among them; the first rule reaching it sets the
        service and imaging. Nothing lowers an outcome, so adding a finding can only keep or
        raise it.
        """
        table, weak_flags, advise, watching = self._run
        facts = Facts(answers, age, weak_flags)
        reasons: list[Reason] = []
        best_rank = -1
        best_route: Any = None
        # Every rule is checked, none skipped: each one that holds is a reason (SPEC §4).
        for holds, row in table:
            if not holds(facts):
                continue
            reason, key, reason_for, rank, route = row
            reasons.append(reason or reason_for(key(facts)))
            if rank > best_rank:
                best_rank, best_route = rank, route
        # One of S1-S3 always holds, so a decision always has a rule behind it.
        assert best_route is not None
        disposition, urgency = _OUTCOMES[best_rank]
        service, imaging = best_route if type(best_route) is tuple else best_route(facts)
        return Decision(
            disposition,
            urgency,
            service,
            imaging,
            facts.startback,
            find_red_flags(facts),
            tuple(reasons),
            advise(facts, disposition),
            age,
            self.version,
            self._watch_for(answers, age, urgency) if watching else None,
        )

    def grade(self, answers: Mapping[str, Any], age: int) -> Graded:
        """The outcome `evaluate` decides and the ids of the rules behind it, without the rest
        of a decision (the reasons' words, red flags, advice, watch_for): what a replay
        compares, made several times faster by leaving the rest out. Always equal to the
        same fields of `evaluate` (a property test says so)."""
        table, weak_flags = self._grade
        facts = Facts(answers, age, weak_flags)
        rule_ids = []
        best_rank = -1
        best_route: Any = None
        for holds, rule_id, rank, route in table:
            if holds(facts):
                rule_ids.append(rule_id)
                if rank > best_rank:
                    best_rank, best_route = rank, route
        assert best_route is not None
        disposition, urgency = _OUTCOMES[best_rank]
        service, imaging = best_route if type(best_route) is tuple else best_route(facts)
        return Graded(disposition, urgency, service, imaging, tuple(rule_ids))

    def advice_for(
        self, answers: Mapping[str, Any], age: int, disposition: str
    ) -> tuple[Advice, ...]:
        """The advice for these answers under a given disposition, such as a clinician's."""
        return self.advice.advise(Facts(answers, age, self.weak_flags), disposition)

    # --- watch_for (SPEC-2026.2 C4) ---------------------------------------------------------

    def _watch_row(self, watch: WatchFinding) -> tuple[Any, ...]:
        """C4's row as the evaluation reads it: for each urgency a decision can have, the rules
        to re-evaluate when this finding is added, highest urgency first, with the entry each
        urgency gives.

        Only rules above the decision's urgency can raise it, and of those only the ones that
        read this finding can hold once it is added: none of them holds now (the decision's
        urgency would be higher), and a rule that does not read the finding gives the same
        answer with it. The test suite checks each rule's `reads` against what it reads.
        """
        candidates = tuple(
            tuple(
                (URGENCY_RANK[rule.urgency], rule.check.holds)
                for rule in sorted(self.rules, key=lambda r: -URGENCY_RANK[r.urgency])
                if URGENCY_RANK[rule.urgency] > current and watch.finding in rule.check.reads
            )
            for current in range(len(URGENCIES))
        )
        # Indexed by urgency rank; `routine` never raises anything, so it has no entry.
        entries = (None, *(watch.entry(urgency) for urgency in URGENCIES[1:]))
        return watch.finding, watch.changed_from, watch.to, candidates, entries

    def _watch_for(
        self, answers: Mapping[str, Any], age: int, urgency: str
    ) -> tuple[WatchFor, ...]:
        current = URGENCY_RANK[urgency]
        if current == _TOP_URGENCY:
            return ()
        found: list[tuple[int, WatchFor]] = []
        changed = dict(answers)  # one copy, each finding set and put back in turn
        for finding, changed_from, to, candidates, entries in self._watch:
            answer = answers[finding]
            if answer not in changed_from:
                continue
            changed[finding] = to
            facts = LazyFacts(changed, age, self.weak_flags)
            for rank, holds in candidates[current]:
                if holds(facts):
                    # Candidates come highest first: the first that holds sets the urgency.
                    found.append((-rank, entries[rank]))
                    break
            changed[finding] = answer
        # Highest urgency first; within one urgency, the table's order (the sort is stable).
        found.sort(key=_first)
        return tuple(entry for _, entry in found)

    # --- A later version ------------------------------------------------------------------------

    def revise(
        self,
        *,
        version: str,
        released: date,
        changes: tuple[Change, ...],
        hazards: tuple[Hazard, ...],
        order: Sequence[str] | None = None,
        replace: Sequence[Rule] = (),
        weak_flags: tuple[WeakFlag, ...] | None = None,
        watch_for: tuple[WatchFinding, ...] | None = None,
    ) -> Ruleset:
        """The next version: this one with some rules replaced (by id), the rules in a new
        order, and its own weak flags and watch_for table where given."""
        by_id = {rule.id: rule for rule in self.rules}
        for rule in replace:
            if rule.id not in by_id:
                raise ValueError(f"{version} replaces {rule.id}, which {self.version} lacks")
            by_id[rule.id] = rule
        order = self.order if order is None else tuple(order)
        if sorted(order) != sorted(by_id):
            raise ValueError(f"{version}'s order {order} is not the rules {sorted(by_id)}")
        return Ruleset(
            version=version,
            released=released,
            rules=tuple(by_id[rule_id] for rule_id in order),
            weak_flags=self.weak_flags if weak_flags is None else weak_flags,
            advice=self.advice,
            changes=changes,
            hazards=hazards,
            watch_for=self.watch_for if watch_for is None else watch_for,
        )


def _first(item: tuple[int, WatchFor]) -> int:
    return item[0]


def _table_row(rule: Rule) -> tuple[Any, ...]:
    """A rule as the evaluation loop reads it: its check, then what the loop needs only when it
    holds (most rules do not). The route is (service, imaging), or the function choosing them.

    A Reason is immutable, so each distinct one is built once and then shared (every decision
    carries several): a rule whose words never vary has its reason built here, and one whose
    words vary builds each of its few reasons once, from the key its words are written from.
    """
    check = rule.check
    rank = _RANK[rule.disposition, rule.urgency]
    route = (rule.services[0], rule.imaging[0]) if check.routes is None else check.routes
    says = check.says
    if isinstance(says, str):
        return check.holds, (Reason(rule.id, says, rule.source), None, None, rank, route)
    # A function of the facts writes the text itself: the text is its own key.
    key, write = (says.key, says.write) if isinstance(says, Words) else (says, str)

    def reason_for(value: Any) -> Reason:
        return Reason(rule.id, write(value), rule.source)

    cached = lru_cache(maxsize=512, typed=True)(reason_for)
    return check.holds, (None, key, cached, rank, route)
