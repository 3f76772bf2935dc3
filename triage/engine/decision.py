"""A triage decision (SPEC §1), as the engine returns it and the API shows it."""

from dataclasses import dataclass
from typing import Any

from .advice import Advice
from .record import Record
from .red_flags import RedFlag
from .startback import StartBack
from .vocabulary import RULESET_VERSION
from .watch_for import WatchFor


@dataclass(frozen=True, slots=True)
class Reason(Record):
    rule_id: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Decision(Record):
    """The outcome (SPEC §1) and everything behind it: what staff see and the API returns."""

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
    # SPEC-2026.2 C4: a tuple from 2026.2 on; None under 2026.1, which has no watch_for.
    watch_for: tuple[WatchFor, ...] | None = None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(reason.rule_id for reason in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data: what the API returns and the assessment stores.

        A 2026.1 decision has no `watch_for` key at all: its stored form never changes."""
        data = Record.as_dict(self)
        if self.watch_for is None:
            del data["watch_for"]
        return data
