"""What the rules read: the answers plus the few figures derived from them.

Each figure is defined once, below. `Facts` works them all out when it is built (a decision's
rules read nearly all of them); `LazyFacts` works each one out when a rule first reads it, for
watch_for's re-evaluations, which run a few rules that mostly read the answers alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .startback import StartBack, score_startback

if TYPE_CHECKING:
    from .weak_flags import WeakFlag

DAYS_PER_YEAR = 365.25
SIX_WEEKS_DAYS = 42


def _duration(f: Facts) -> int:
    return f.answers["pain_duration_days"]


def _startback(f: Facts) -> StartBack:
    return score_startback(f.answers["startback"])


def _onset_age(f: Facts) -> float:
    # Whole years on the intake date less the episode's length: a real number, never rounded
    # (SPEC §4 R2; SPEC-2026.2 C6).
    return f.age - f.duration / DAYS_PER_YEAR


def _inflammatory_count(f: Facts) -> int:
    """R2's features: the listed inflammatory features plus "onset before 35"."""
    features = set(f.answers.get("inflammatory_features") or ())
    return len(features) + (1 if f.onset_age < 35 else 0)


def _weak_flags(f: Facts) -> tuple[WeakFlag, ...]:
    """The ruleset's weak flags (R4) that these answers show, in the ruleset's order."""
    shown = []
    for flag in f.weak_flag_rules:  # a loop: cheaper than a comprehension's call, per decision
        if flag.holds(f):
            shown.append(flag)
    return tuple(shown)


# Every figure, each reading only the answers and the figures before it.
FIGURES: dict[str, Callable[[Any], Any]] = {
    "duration": _duration,
    "startback": _startback,
    "onset_age": _onset_age,
    "inflammatory_count": _inflammatory_count,
    "weak_flags": _weak_flags,
}


class Facts:
    """One patient's answers as one ruleset's rules see them. Built once per decision."""

    __slots__ = ("age", "answers", "weak_flag_rules", *FIGURES)

    def __init__(
        self, answers: Mapping[str, Any], age: int, weak_flag_rules: Sequence[WeakFlag]
    ) -> None:
        self.answers = answers
        self.age = age
        self.weak_flag_rules = weak_flag_rules
        self.duration: int = _duration(self)
        self.startback: StartBack = _startback(self)
        self.onset_age: float = _onset_age(self)
        self.inflammatory_count: int = _inflammatory_count(self)
        self.weak_flags: tuple[WeakFlag, ...] = _weak_flags(self)


class LazyFacts(Facts):
    """The same facts, each figure worked out the first time a rule reads it."""

    __slots__ = ()

    def __init__(  # the figures are left unset on purpose: see __getattr__
        self, answers: Mapping[str, Any], age: int, weak_flag_rules: Sequence[WeakFlag]
    ) -> None:
        self.answers = answers
        self.age = age
        self.weak_flag_rules = weak_flag_rules

    def __getattr__(self, name: str) -> Any:
        # Python calls this only for a slot that is not set yet, so each figure is worked out
        # at most once, by the same function `Facts` uses.
        if name not in FIGURES:
            raise AttributeError(name)
        value = FIGURES[name](self)
        setattr(self, name, value)
        return value
