"""Strict input fields: JSON types are taken as they are, never coerced.

DRF would accept "1" for an integer or "yes" for a boolean; a clinical answer must not be
guessed, so anything but the exact JSON type is refused with the field named.
"""

import copy
import re
import threading
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from clinic.api.errors import PLAIN_NAME

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


_WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")


def whole_number(value: str) -> int | None:
    """A whole number as a query string writes it: ASCII digits only (no sign, no fraction, no
    spaces, no other script's digits, which `int` would take), and not so many that no
    number of pages or items could need them. None for anything else."""
    return int(value) if _WHOLE_NUMBER.fullmatch(value) else None


class WholeNumberField(serializers.IntegerField):
    """An integer query parameter, written in ASCII digits: DRF's own takes `5.0`, `+5`, ` 5`
    or a fullwidth digit five as 5."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        number = whole_number(data) if isinstance(data, str) else None
        if number is None:
            self.fail("invalid")
        return super().to_internal_value(number)


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


# A date is written YYYY-MM-DD, as the schema's `format: date` says. Python and DRF also read
# 19840309, 1984-W10-5 and 1984-3-9 as dates; a birth date is too important to guess at.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A date-time: such a date, `T`, the time to the minute or finer, and an offset (none: the
# clinic's time zone). Not the other ISO 8601 forms Python reads (20260101T0900, week dates).
ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
# The fields the schema types as a string: they take a JSON string and nothing else.
_TEXT_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
)


def iso_date(value: Any) -> date | None:
    """The date `value` writes as YYYY-MM-DD, or None if it is anything else."""
    if not isinstance(value, str) or ISO_DATE.fullmatch(value) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:  # 2023-02-30
        return None


def _text_error(field: serializers.Field, value: Any) -> ErrorDetail | None:
    """What is wrong with `value` for a field the schema types as a string, before DRF coerces
    it: DRF stores the number 5 as the text "5", and reads dates in forms the schema does not
    allow. None if nothing is (DRF then checks the rest)."""
    if isinstance(field, serializers.MultipleChoiceField) or not isinstance(field, _TEXT_FIELDS):
        return None  # a list, or not text at all
    if value is None:
        return None  # null: the field's own `allow_null` decides
    if not isinstance(value, str) and isinstance(field, serializers.ChoiceField):
        allowed = ", ".join(str(key) for key in field.choices)
        return ErrorDetail(f"Must be one of: {allowed}.", "invalid_choice")
    if not isinstance(value, str):
        return ErrorDetail("Must be a string.", "invalid")
    if isinstance(field, serializers.DateField) and ISO_DATE.fullmatch(value) is None:
        return ErrorDetail("Use the format YYYY-MM-DD.", "invalid")
    if isinstance(field, serializers.DateTimeField) and ISO_DATE_TIME.fullmatch(value) is None:
        message = "Use the format YYYY-MM-DDThh:mm:ss, then an offset such as Z or +01:00."
        return ErrorDetail(message, "invalid")
    return None


_reusable = threading.local()


class FixedFieldsModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are worked out from the model once per class: DRF does
    it for every serializer made, which for an intake's response (with its patient and
    referral) cost about 0.4 ms of CPU a request. Each serializer still gets fields of its own
    (fresh copies), so binding them changes nothing that another sees. Only for serializers
    whose fields never depend on the instance, the request or the context."""

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, reporting them with every other error at once; text
    fields take only JSON strings, dates only as YYYY-MM-DD."""

    @classmethod
    def validated(cls, data: Any) -> dict[str, Any]:
        """`data` validated (else ValidationError), by an instance kept for this thread: DRF
        deep-copies every declared field for each new serializer, which for the intake's
        questionnaire cost half of its validation. Only for input that needs no context."""
        kept = _reusable.__dict__.setdefault("serializers", {})
        serializer = kept.get(cls)
        if serializer is None:
            serializer = kept[cls] = cls()
        serializer.__dict__.pop("_validated_data", None)
        serializer.__dict__.pop("_errors", None)
        serializer.__dict__.pop("_data", None)
        serializer.initial_data = data
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, Any] = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            errors.update(cast(dict[str, Any], exc.detail))  # a serializer's errors: a dict
        if isinstance(data, Mapping):
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                error = _text_error(field, data[name])
                if error is not None:  # instead of whatever DRF made of the value
                    errors[name] = [error]
            for key in data:
                if key in self.fields:
                    continue
                if isinstance(key, str) and PLAIN_NAME.fullmatch(key):
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
