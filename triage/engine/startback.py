"""Keele STarT Back scoring (SPEC §3). The scoring is public; the item wording is not copied."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .vocabulary import STARTBACK_BOTHERSOME, STARTBACK_ITEMS, STARTBACK_PSYCHOSOCIAL_ITEMS


@dataclass(frozen=True, slots=True)
class StartBack:
    total: int
    psychosocial: int
    risk: str

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "psychosocial": self.psychosocial, "risk": self.risk}


def score_startback(items: Mapping[str, Any]) -> StartBack:
    """Score the nine items: 1-8 count when true, item 9 only when very much or extremely."""
    bothersome = 1 if items["bothersomeness"] in STARTBACK_BOTHERSOME else 0
    psychosocial = bothersome + sum(1 for name in STARTBACK_PSYCHOSOCIAL_ITEMS if items[name])
    total = bothersome + sum(1 for name in STARTBACK_ITEMS if items[name])
    if psychosocial >= 4:
        risk = "high"
    elif total >= 4:
        risk = "medium"
    else:
        risk = "low"
    return StartBack(total=total, psychosocial=psychosocial, risk=risk)
