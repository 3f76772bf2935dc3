"""Strict input fields: JSON types are taken as they are, never coerced.

DRF would accept "1" for an integer or "yes" for a boolean; a clinical answer must not be
guessed, so anything but the exact JSON type is refused with the field named.
"""

import re
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

# A field name an error may repeat: what a typo of a real field looks like.
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_UNKNOWN_UNNAMED = "A field this object does not have was sent (its name is not repeated)."


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if data is True or data is False:
            return data
        self.fail("invalid")


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    """Text matching a pattern, all of it, as it was sent: a JSON number is not text, and
    neither surrounding whitespace is trimmed nor a final newline let through by `$` (the
    documented pattern is read as JSON Schema reads it)."""

    def __init__(self, regex: str, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(regex, **kwargs)
        self.whole = re.compile(regex)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or self.whole.fullmatch(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice whose error lists the allowed values and never echoes the input."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(choices, **kwargs)
        allowed = ", ".join(str(key) for key in self.choices)
        self.error_messages["invalid_choice"] = f"Must be one of: {allowed}."

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice")
        return super().to_internal_value(data)


class UniqueChoiceListField(serializers.ListField):
    """A list of distinct choices, kept in the order given."""

    default_error_messages = {"duplicate": "Each value may appear only once."}

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(child=StrictChoiceField(choices), **kwargs)

    def to_internal_value(self, data: Any) -> list:
        values = super().to_internal_value(data)
        if len(set(values)) != len(values):
            self.fail("duplicate")
        return values


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, reporting them with every other error at once."""

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, Any] = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            errors.update(exc.detail)
        if isinstance(data, Mapping):
            for key in data:
                if key in self.fields:
                    continue
                if isinstance(key, str) and _PLAIN_NAME.fullmatch(key):
                    errors[key] = [ErrorDetail("This field is not allowed.", "unknown_field")]
                else:
                    # Named only by where it was sent: a key that is not a plain name may be
                    # anything the caller typed, and error bodies never repeat the input.
                    errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).append(
                        ErrorDetail(_UNKNOWN_UNNAMED, "unknown_field")
                    )
        if errors:
            raise ValidationError(errors)
        return value
