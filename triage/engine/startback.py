"""Keele STarT Back scoring (SPEC §3). The scoring is public; the item wording is not copied."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from .record import Record
from .vocabulary import STARTBACK_BOTHERSOME, STARTBACK_ITEMS, STARTBACK_PSYCHOSOCIAL_ITEMS


@dataclass(frozen=True, slots=True)
class StartBack(Record):
    total: int
    psychosocial: int
    risk: str


def _stratify(total: int, psychosocial: int) -> StartBack:
    """The risk group for these scores (SPEC §3)."""
    if psychosocial >= 4:
        risk = "high"
    elif total >= 4:
        risk = "medium"
    else:
        risk = "low"
    return StartBack(total=total, psychosocial=psychosocial, risk=risk)


# Items 1-4; items 5-8 are the psychosocial ones, counted once and added to both scores;
# bool() keeps "counts when true".
_PHYSICAL_ITEMS = tuple(
    name for name in STARTBACK_ITEMS if name not in STARTBACK_PSYCHOSOCIAL_ITEMS
)

# Every possible score, built once: a StartBack is immutable, so each decision can share one
# rather than build its own (score_startback runs on every decision). Indexed
# [physical][psychosocial]: items 1-4 agreed (0-4), then items 5-9 scored (0-5).
_SCORES = tuple(
    tuple(_stratify(physical + psychosocial, psychosocial) for psychosocial in range(6))
    for physical in range(len(_PHYSICAL_ITEMS) + 1)
)


def score_startback(items: Mapping[str, Any]) -> StartBack:
    """Score the nine items: 1-8 count when true, item 9 only when very much or extremely."""
    return _score(_all_answers(items))


# The nine answers can be combined only a few thousand ways, so each combination is scored once
# and then looked up by the answers themselves (this runs on every decision). Bounded: valid
# answers never fill it, and anything else cannot grow it without limit.
_all_answers = itemgetter(*_PHYSICAL_ITEMS, *STARTBACK_PSYCHOSOCIAL_ITEMS, "bothersomeness")
_PHYSICAL = len(_PHYSICAL_ITEMS)


@lru_cache(maxsize=4096)
def _score(answers: tuple[Any, ...]) -> StartBack:
    *agreed, bothersomeness = answers
    bothersome = 1 if bothersomeness in STARTBACK_BOTHERSOME else 0
    psychosocial = bothersome + sum(map(bool, agreed[_PHYSICAL:]))
    physical = sum(map(bool, agreed[:_PHYSICAL]))
    return _SCORES[physical][psychosocial]
