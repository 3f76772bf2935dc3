"""What the rules read: the answers plus the few figures derived from them, computed once."""

from collections.abc import Mapping
from typing import Any

from .startback import StartBack, score_startback

DAYS_PER_YEAR = 365.25
SIX_WEEKS_DAYS = 42


class Facts:
    """One patient's answers as the rules see them. Built once per decision."""

    __slots__ = (
        "age",
        "answers",
        "duration",
        "inflammatory_count",
        "onset_age",
        "startback",
        "weak_flags",
    )

    def __init__(self, answers: Mapping[str, Any], age: int) -> None:
        self.answers = answers
        self.age = age
        self.duration: int = answers["pain_duration_days"]
        self.startback: StartBack = score_startback(answers["startback"])
        # Age at onset is fractional: whole years on the intake date less the episode's length.
        self.onset_age: float = age - self.duration / DAYS_PER_YEAR
        features = set(answers.get("inflammatory_features") or ())
        self.inflammatory_count = len(features) + (1 if self.onset_age < 35 else 0)
        self.weak_flags: tuple[str, ...] = _weak_flags(answers, age, self.duration)


def _weak_flags(answers: Mapping[str, Any], age: int, duration: int) -> tuple[str, ...]:
    """R4's weak flags; an `unknown` night or thoracic pain answer counts as present."""
    flags = []
    if answers["first_ever_episode"] and (age < 20 or age >= 50):
        flags.append("new_onset_age")
    if answers["night_pain_unremitting"] != "no":
        flags.append("night_pain_unremitting")
    if answers["thoracic_pain"] != "no":
        flags.append("thoracic_pain")
    if duration >= 28 and answers["self_care_not_helping"]:
        flags.append("not_improving_with_self_care")
    return tuple(flags)
