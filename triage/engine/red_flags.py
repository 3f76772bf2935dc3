"""Red flags: every warning sign found in the answers, with how serious it is on its own.

A flag is `present` when the answer shows it and `unanswered` when the patient could not say;
either way staff see it. Levels follow the rule the flag can trigger by itself.
"""

from dataclasses import dataclass
from typing import Any

from .facts import SIX_WEEKS_DAYS, Facts
from .rules import ACR_LBP, GIRFT_CES, NG59, QS56


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    label: str
    level: str
    status: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "level": self.level,
            "status": self.status,
            "source": self.source,
        }


# (answer item, label, level, source) for the yes / no / unknown red-flag items.
_ITEM_FLAGS = (
    (
        "bladder_bowel_change",
        "New trouble passing urine or controlling the bowel",
        "emergency",
        GIRFT_CES,
    ),
    (
        "saddle_numbness",
        "New numbness around the genitals, back passage or inner thighs",
        "emergency",
        GIRFT_CES,
    ),
    ("sexual_dysfunction_new", "New loss of sexual function or sensation", "emergency", GIRFT_CES),
    ("fever", "Fever, chills or sweats", "urgent", ACR_LBP),
    (
        "immunosuppression_or_iv_drug_use",
        "Weakened immune system or injects drugs",
        "urgent",
        ACR_LBP,
    ),
    ("cancer_history", "History of cancer", "urgent", QS56),
    ("unexplained_weight_loss", "Weight loss without trying", "urgent", ACR_LBP),
    ("osteoporosis_or_steroids", "Osteoporosis or long-term steroid tablets", "urgent", ACR_LBP),
)

_WEAK = {
    "new_onset_age": "First back pain under 20 or from 50",
    "night_pain_unremitting": "Night pain that no position eases",
    "thoracic_pain": "Pain mainly in the upper or middle back",
    "not_improving_with_self_care": "Four weeks or more without improvement on self-care",
}


def find_red_flags(f: Facts) -> tuple[RedFlag, ...]:
    """Every red flag in the answers, most serious level first, in a fixed order."""
    a = f.answers
    flags: list[RedFlag] = []
    if a["bilateral_leg_symptoms"] and (
        a["leg_weakness"] == "progressive" or f.duration <= SIX_WEEKS_DAYS
    ):
        flags.append(
            RedFlag(
                "bilateral_leg_symptoms", "Symptoms in both legs", "emergency", "present", GIRFT_CES
            )
        )
    trauma = a["trauma"]
    if trauma == "major":
        flags.append(RedFlag("trauma", "Major injury", "emergency", "present", ACR_LBP))
    elif trauma == "unknown":
        flags.append(
            RedFlag("trauma", "Recent injury not known", "emergency", "unanswered", ACR_LBP)
        )
    for item, label, level, source in _ITEM_FLAGS:
        answer = a[item]
        if answer != "no":
            status = "present" if answer == "yes" else "unanswered"
            flags.append(RedFlag(item, label, level, status, source))
    if a["leg_weakness"] == "progressive":
        flags.append(
            RedFlag(
                "progressive_leg_weakness",
                "Leg or foot weakness getting worse",
                "urgent",
                "present",
                ACR_LBP,
            )
        )
    if trauma == "minor" and (f.age >= 70 or a["osteoporosis_or_steroids"] != "no"):
        flags.append(
            RedFlag(
                "trauma", "Minor fall or knock with fragile bones", "urgent", "present", ACR_LBP
            )
        )
    for code in f.weak_flags:
        status = "unanswered" if a.get(code) == "unknown" else "present"
        flags.append(RedFlag(code, _WEAK[code], "weak", status, f"{NG59} 1.1.1"))
    return tuple(flags)
