"""Model and form choices from a tuple of coded values, each labelled for a person."""

from collections.abc import Callable


def code_words(value: str) -> str:
    """A coded value as words: medical_referral → Medical referral."""
    return value.replace("_", " ").capitalize()


def labelled_choices(
    values: tuple[str, ...], label: Callable[[str], str] = code_words
) -> list[tuple[str, str]]:
    return [(value, label(value)) for value in values]
