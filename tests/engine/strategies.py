"""Hypothesis strategies for valid intakes (SPEC §2), and ways to change one answer."""

from typing import Any

from hypothesis import strategies as st

from tests.engine import spec

# Boundary values from SPEC §4 are mixed in so that every run exercises them.
DURATION_BOUNDARIES = (0, 27, 28, 42, 43, 90, 91, 365, 366, 1461, 1462, 3650)
AGE_BOUNDARIES = (0, 15, 16, 19, 20, 34, 35, 44, 45, 49, 50, 69, 70, 110)

# Adults are drawn more often: every child fires R5 (a medical referral).
ages = st.one_of(st.integers(16, 110), st.integers(0, 110), st.sampled_from(AGE_BOUNDARIES))
# Short episodes are drawn often too: most of the range is beyond six weeks (P1).
durations = st.one_of(
    st.integers(0, 60),
    st.integers(*spec.PAIN_DURATION_RANGE),
    st.sampled_from(DURATION_BOUNDARIES),
)
prior_episodes = st.one_of(
    st.integers(0, 2), st.integers(0, 4), st.integers(*spec.PRIOR_EPISODES_RANGE)
)

# Every valid combination can be drawn, but each patient's findings are drawn at one of a few
# densities so that quiet patients (home care, physiotherapy, routine referrals) are common:
# otherwise nearly every draw is an emergency and the monotonicity checks compare little.
# A finding is present when `rarity` coin flips all come up true (1/2, 1/4, 1/8 or 1/32).
# Coin flips shrink towards false (absent) and, unlike a biased integer draw, are not skewed
# by hypothesis's preference for the ends of a range.
RARITIES = (1, 2, 3, 5)


def present(draw, rarity: int) -> bool:
    return all(draw(st.booleans()) for _ in range(rarity))


@st.composite
def startback_answers(draw) -> dict[str, Any]:
    rarity = draw(st.sampled_from((1, 2, 3)))
    items: dict[str, Any] = {name: present(draw, rarity) for name in spec.STARTBACK_ITEMS}
    items["bothersomeness"] = draw(st.sampled_from(spec.BOTHERSOMENESS))
    return items


@st.composite
def intake_answers(draw) -> dict[str, Any]:
    """Any valid answers object of SPEC §2."""
    rarity = draw(st.sampled_from(RARITIES))

    def finding(absent: Any, *positive: Any) -> Any:
        return draw(st.sampled_from(positive)) if present(draw, rarity) else absent

    answers: dict[str, Any] = {
        "pain_duration_days": draw(durations),
        "pain_score": draw(st.integers(*spec.PAIN_SCORE_RANGE)),
        "prior_episodes_12m": draw(prior_episodes),
        "leg_weakness": finding("none", "stable", "progressive"),
        "trauma": finding("none", "minor", "major", "unknown"),
        "startback": draw(startback_answers()),
    }
    for field in spec.BOOLEAN_FIELDS:
        answers[field] = finding(False, True)
    for item in spec.RED_FLAG_ITEMS:
        answers[item] = finding("no", "yes", "unknown")
    optional = {
        "suspected_triggers": st.lists(st.sampled_from(spec.TRIGGERS), unique=True),
        "inflammatory_features": st.lists(st.sampled_from(spec.INFLAMMATORY_FEATURES), unique=True),
    }
    for field, strategy in optional.items():
        if draw(st.booleans()):
            answers[field] = draw(strategy)
    return answers


# The engine never changes the answers it is given (a property test checks it), so a changed
# copy may share the unchanged nested values.
def changed(answers: dict[str, Any], **updates: Any) -> dict[str, Any]:
    """A copy of `answers` with these answers changed."""
    return {**answers, **updates}


def changed_startback(answers: dict[str, Any], **updates: Any) -> dict[str, Any]:
    """A copy of `answers` with these STarT Back items changed."""
    return {**answers, "startback": {**answers["startback"], **updates}}
