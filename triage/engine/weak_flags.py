"""R4's weak flags: findings that matter little alone and together need a GP review.

Each flag is data: its code, its words in red_flags, in R4's reason and in the rule table, the
answers it reads and its check. A ruleset lists the flags it counts (2026.2 counts more).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .facts import Facts
from .red_flags import RedFlag
from .sources import NG59


@dataclass(frozen=True, slots=True)
class WeakFlag:
    code: str
    label: str  # as red_flags lists it
    words: str  # as R4's reason lists it
    condition: str  # as the rule table's R4 condition lists it
    reads: frozenset[str]  # the answers `holds` reads
    holds: Callable[[Facts], bool]
    # The flag as red_flags lists it: `unanswered` when its own answer is `unknown`.
    present: RedFlag = field(init=False, repr=False)
    unanswered: RedFlag = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for status in ("present", "unanswered"):
            flag = RedFlag(self.code, self.label, "weak", status, f"{NG59} 1.1.1")
            object.__setattr__(self, status, flag)


def _new_onset(f: Facts) -> bool:
    return f.answers["first_ever_episode"] and (f.age < 20 or f.age >= 50)


def _new_onset_or_began_under_20(f: Facts) -> bool:
    return _new_onset(f) or (f.answers["first_ever_episode"] and f.onset_age < 20)


NEW_ONSET_AGE = WeakFlag(
    "new_onset_age",
    "First back pain under 20 or from 50",
    "back pain for the first time under 20 or from 50",
    "first_ever_episode at age < 20 or >= 50",
    frozenset({"first_ever_episode"}),
    _new_onset,
)


def _not_no(item: str, label: str, words: str) -> WeakFlag:
    """A weak flag for a yes, or an `unknown` (never taken as no), to one item."""
    return WeakFlag(
        item, label, words, f"{item} yes or unknown", frozenset({item}),
        lambda f: f.answers[item] != "no",
    )  # fmt: skip


def _yes(item: str, label: str, words: str) -> WeakFlag:
    """A weak flag for a yes to one item."""
    return WeakFlag(
        item, label, words, f"{item} yes", frozenset({item}),
        lambda f: f.answers[item] == "yes",
    )  # fmt: skip


NIGHT_PAIN = _not_no(
    "night_pain_unremitting",
    "Night pain that no position eases",
    "night pain that no position eases",
)
THORACIC_PAIN = _not_no(
    "thoracic_pain",
    "Pain mainly in the upper or middle back",
    "pain mainly in the upper or middle back",
)
NOT_IMPROVING = WeakFlag(
    "not_improving_with_self_care",
    "Four weeks or more without improvement on self-care",
    "no improvement after weeks of self-care",
    "pain_duration_days >= 28 with self_care_not_helping",
    frozenset({"pain_duration_days", "self_care_not_helping"}),
    lambda f: f.duration >= 28 and f.answers["self_care_not_helping"],
)

WEAK_FLAGS_2026_1 = (NEW_ONSET_AGE, NIGHT_PAIN, THORACIC_PAIN, NOT_IMPROVING)

# SPEC-2026.2 C3: a first-ever episode that began before 20 counts, by the age at onset.
NEW_ONSET_AGE_2026_2 = WeakFlag(
    NEW_ONSET_AGE.code,
    NEW_ONSET_AGE.label,
    NEW_ONSET_AGE.words,
    "first_ever_episode at age < 20 or >= 50, or at an age at onset (age - duration in years) < 20",
    NEW_ONSET_AGE.reads | {"pain_duration_days"},
    _new_onset_or_began_under_20,
)
# SPEC-2026.2 C2: a `yes` to a risk factor is a weak flag whatever else uses it.
IMMUNOSUPPRESSION = _yes(
    "immunosuppression_or_iv_drug_use",
    "Risk factor: weakened immune system or injects drugs",
    "a weakened immune system or injecting drugs",
)
OSTEOPOROSIS = _yes(
    "osteoporosis_or_steroids",
    "Risk factor: osteoporosis or long-term steroid tablets",
    "osteoporosis or long-term steroid tablets",
)

WEAK_FLAGS_2026_2 = (
    NEW_ONSET_AGE_2026_2,
    NIGHT_PAIN,
    THORACIC_PAIN,
    NOT_IMPROVING,
    IMMUNOSUPPRESSION,
    OSTEOPOROSIS,
)
