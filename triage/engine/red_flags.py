"""Red flags: every warning sign found in the answers, with how serious it is on its own.

A flag is `present` when the answer shows it and `unanswered` when the patient could not say;
either way staff see it. Levels follow the rule the flag can trigger by itself.
"""

from dataclasses import dataclass
from operator import itemgetter

from .facts import SIX_WEEKS_DAYS, Facts
from .record import Record
from .sources import ACR_LBP, GIRFT_CES, QS56


@dataclass(frozen=True, slots=True)
class RedFlag(Record):
    code: str
    label: str
    level: str
    status: str
    source: str


# The yes / no / unknown red-flag items that raise a flag of their own: item -> (label, level,
# source). The weak-flag items (night pain, thoracic pain) are raised by the ruleset's weak flags.
_ITEM_FLAGS = {
    "bladder_bowel_change": (
        "New trouble passing urine or controlling the bowel", "emergency", GIRFT_CES),
    "saddle_numbness": (
        "New numbness around the genitals, back passage or inner thighs", "emergency", GIRFT_CES),
    "sexual_dysfunction_new": ("New loss of sexual function or sensation", "emergency", GIRFT_CES),
    "fever": ("Fever, chills or sweats", "urgent", ACR_LBP),
    "immunosuppression_or_iv_drug_use": (
        "Weakened immune system or injects drugs", "urgent", ACR_LBP),
    "cancer_history": ("History of cancer", "urgent", QS56),
    "unexplained_weight_loss": ("Weight loss without trying", "urgent", ACR_LBP),
    "osteoporosis_or_steroids": ("Osteoporosis or long-term steroid tablets", "urgent", ACR_LBP),
}  # fmt: skip

# Every flag the engine can raise is one of a fixed set, and a RedFlag is immutable, so each is
# built once here and shared by every decision that raises it (this runs on every decision).
_BILATERAL = RedFlag(
    "bilateral_leg_symptoms", "Symptoms in both legs", "emergency", "present", GIRFT_CES
)
_MAJOR_TRAUMA = RedFlag("trauma", "Major injury", "emergency", "present", ACR_LBP)
_UNKNOWN_TRAUMA = RedFlag("trauma", "Recent injury not known", "emergency", "unanswered", ACR_LBP)
_PROGRESSIVE_WEAKNESS = RedFlag(
    "progressive_leg_weakness", "Leg or foot weakness getting worse", "urgent", "present", ACR_LBP
)
_FRAGILE_TRAUMA = RedFlag(
    "trauma", "Minor fall or knock with fragile bones", "urgent", "present", ACR_LBP
)
# (answer item, flag for `yes`, flag for `unknown`); a `no` raises nothing.
_ITEM_FLAG_BY_ANSWER = tuple(
    (
        item,
        RedFlag(item, label, level, "present", source),
        RedFlag(item, label, level, "unanswered", source),
    )
    for item, (label, level, source) in _ITEM_FLAGS.items()
)
# Most patients answer every item `no`: one call fetches them all to see that.
_ITEM_ANSWERS = itemgetter(*_ITEM_FLAGS)
_ALL_NO = ("no",) * len(_ITEM_FLAGS)


def find_red_flags(f: Facts) -> tuple[RedFlag, ...]:
    """Every red flag in the answers, most serious level first, in a fixed order."""
    a = f.answers
    flags: list[RedFlag] = []
    leg_weakness = a["leg_weakness"]
    if a["bilateral_leg_symptoms"] and (
        leg_weakness == "progressive" or f.duration <= SIX_WEEKS_DAYS
    ):
        flags.append(_BILATERAL)
    trauma = a["trauma"]
    if trauma == "major":
        flags.append(_MAJOR_TRAUMA)
    elif trauma == "unknown":
        flags.append(_UNKNOWN_TRAUMA)
    if _ITEM_ANSWERS(a) != _ALL_NO:
        for item, present, unanswered in _ITEM_FLAG_BY_ANSWER:
            answer = a[item]
            if answer != "no":
                flags.append(present if answer == "yes" else unanswered)
    if leg_weakness == "progressive":
        flags.append(_PROGRESSIVE_WEAKNESS)
    if trauma == "minor" and (f.age >= 70 or a["osteoporosis_or_steroids"] != "no"):
        flags.append(_FRAGILE_TRAUMA)
    for weak in f.weak_flags:
        flags.append(weak.unanswered if a.get(weak.code) == "unknown" else weak.present)
    return tuple(flags)
