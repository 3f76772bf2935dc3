"""What the rules read: the answers plus the few figures derived from them.

`Facts` works every figure out when it is built (a decision's rules read nearly all of them);
`LazyFacts`, for watch_for's re-evaluations, which run a few rules that mostly read the answers
alone, works them out only when a rule first reads one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .startback import StartBack, score_startback

if TYPE_CHECKING:
    from .weak_flags import WeakFlag

DAYS_PER_YEAR = 365.25
SIX_WEEKS_DAYS = 42


# The figures, each worked out in Facts.__init__.
_FIGURES = ("duration", "startback", "onset_age", "inflammatory_count", "weak_flags")


class Facts:
    """One patient's answers as one ruleset's rules see them. Built once per decision."""

    __slots__ = ("age", "answers", "weak_flag_rules", *_FIGURES)

    def __init__(
        self, answers: Mapping[str, Any], age: int, weak_flag_rules: Sequence[WeakFlag]
    ) -> None:
        self.answers = answers
        self.age = age
        self.weak_flag_rules = weak_flag_rules
        self.duration: int = (duration := answers["pain_duration_days"])
        self.startback: StartBack = score_startback(answers["startback"])
        # Age at onset: whole years on the intake date less the episode's length, a real
        # number, never rounded (SPEC §4 R2; SPEC-2026.2 C3 and C6).
        self.onset_age: float = (onset_age := age - duration / DAYS_PER_YEAR)
        # R2's features: the listed inflammatory features plus "onset before 35".
        features = set(answers.get("inflammatory_features") or ())
        self.inflammatory_count: int = len(features) + (1 if onset_age < 35 else 0)
        # The ruleset's weak flags (R4) these answers show, in its order; a weak flag may read
        # the figures above. A loop: cheaper than a comprehension's call, on every decision.
        shown = []
        for flag in weak_flag_rules:
            if flag.holds(self):
                shown.append(flag)
        self.weak_flags: tuple[WeakFlag, ...] = tuple(shown)


class LazyFacts(Facts):
    """The same facts with only the answers and the duration to begin with: the other figures
    are worked out, all together by Facts.__init__, when a rule first reads one of them."""

    __slots__ = ()

    def __init__(  # Facts.__init__ is left for later on purpose: see __getattr__
        self, answers: Mapping[str, Any], age: int, weak_flag_rules: Sequence[WeakFlag]
    ) -> None:
        self.answers = answers
        self.age = age
        self.weak_flag_rules = weak_flag_rules
        self.duration = answers["pain_duration_days"]

    def __getattr__(self, name: str) -> Any:
        # Python calls this only for a slot that is not set yet, so the figures are worked out
        # at most once.
        if name not in _FIGURES:
            raise AttributeError(name)
        Facts.__init__(self, self.answers, self.age, self.weak_flag_rules)
        return getattr(self, name)
