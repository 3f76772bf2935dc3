"""Personalised safety-netting (SPEC-2026.2 C4): the findings a patient does not have now that
would raise their urgency, with words telling them what to look for and what to do.

This module holds C4's table and the entries' words; the ruleset (ruleset.py) works out which
entries a decision carries.
"""

from dataclasses import dataclass
from typing import Any

from .record import Record
from .vocabulary import URGENCIES


@dataclass(frozen=True, slots=True)
class WatchFor(Record):
    """One entry of a decision's `watch_for`."""

    finding: str  # the answer field
    urgency: str  # the urgency the decision would have with this finding
    text: str  # for the patient: what to look for and what to do


@dataclass(frozen=True, slots=True)
class WatchFinding:
    """One row of C4's table: an answer changed from what the patient said, to a finding."""

    finding: str
    changed_from: tuple[Any, ...]
    to: Any
    symptom: str  # for the patient, completing "If you ..."

    def entry(self, urgency: str) -> WatchFor:
        return WatchFor(self.finding, urgency, f"If you {self.symptom}, {_WHAT_TO_DO[urgency]}.")


# Our own words for the patient, by the urgency the new finding would have.
_WHAT_TO_DO = {
    "emergency": "go to an emergency department at once",
    "urgent": "contact the clinic or a GP the same day",
}
assert set(_WHAT_TO_DO) == set(URGENCIES[1:])  # an entry is always above `routine`

# C4's table, in its order.
WATCH_FOR_2026_2 = (
    WatchFinding("bladder_bowel_change", ("no",), "yes",
                 "get new trouble passing urine, or lose control of your bladder or bowel"),
    WatchFinding("saddle_numbness", ("no",), "yes",
                 "get numbness around your genitals, back passage or inner thighs"),
    WatchFinding("sexual_dysfunction_new", ("no",), "yes",
                 "notice a new loss of sexual function or feeling"),
    WatchFinding("leg_weakness", ("none", "stable"), "progressive",
                 "notice weakness in a leg or foot that is getting worse"),
    WatchFinding("bilateral_leg_symptoms", (False,), True,
                 "get pain, numbness or heaviness in both legs"),
    WatchFinding("fever", ("no",), "yes", "get a fever, chills or sweats"),
    WatchFinding("leg_numbness", (False,), True, "get numbness or pins and needles in a leg"),
)  # fmt: skip
