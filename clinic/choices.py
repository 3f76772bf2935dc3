"""Model and form choices from a tuple of coded values, each labelled for a person."""

from collections.abc import Callable

# Words a coded value spells in lower case that a person reads in capitals.
ACRONYMS = {"gp": "GP", "ed": "ED", "iv": "IV", "mri": "MRI", "ct": "CT"}


def code_words(value: str) -> str:
    """A coded value as words: medical_referral → Medical referral, gp → GP."""
    words = value.split("_")
    shown = [ACRONYMS.get(word, word) for word in words]
    if shown and shown[0] == words[0]:
        shown[0] = shown[0].capitalize()
    return " ".join(shown)


def labelled_choices(
    values: tuple[str, ...], label: Callable[[str], str] = code_words
) -> list[tuple[str, str]]:
    return [(value, label(value)) for value in values]
