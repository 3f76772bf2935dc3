"""Filter fields shared by the list endpoints: strict, and never echoing a bad value."""

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

from clinic.api.fields import iso_date


def choice_filter(field_name: str, values: tuple[str, ...]) -> django_filters.Filter:
    """Any of `values`, repeatable. Django's own message repeats the submitted value; this one
    lists the allowed ones instead. Only for a column of the row or of a one-to-one relation:
    no row can match twice, so no DISTINCT (which made PostgreSQL sort every matching intake,
    answers and all, to count a page: over a second at a million intakes)."""
    return django_filters.MultipleChoiceFilter(
        field_name=field_name,
        distinct=False,
        choices=[(value, value) for value in values],
        error_messages={"invalid_choice": f"Must be one of: {', '.join(values)}."},
    )


def true_false_filter(*, help_text: str, **kwargs) -> django_filters.Filter:
    """Only `true` or `false`: anything else is refused rather than silently ignored."""
    true_false = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        error_messages={"invalid_choice": "Must be true or false."},
        help_text=help_text,
        **kwargs,
    )
    # Documented as the boolean it is: left to itself, drf-spectacular puts the string choices
    # as an `enum` on a `boolean` parameter, which no value can satisfy.
    return extend_schema_field({"type": "boolean", "description": help_text})(true_false)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, handed to the database in UTC. ISO 8601 and Python allow any
    offset up to ±23:59; PostgreSQL refuses those past ±15:59 (a 500). A time UTC cannot
    represent (before year 1 or after 9999) is refused like any other bad value."""

    default_error_messages = {"out_of_range": "Must fall between the years 1 and 9999 in UTC."}

    def to_python(self, value):
        if isinstance(value, str) and value != value.strip():
            # Django trims it first, so that a value of spaces alone filtered nothing.
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except OverflowError:
            message = self.error_messages["out_of_range"]
            raise ValidationError(message, code="out_of_range") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class IsoDateField(forms.DateField):
    """A date written YYYY-MM-DD, as the schema's `format: date` says, and as a date in a body
    is. Django's own also reads the locale's forms (25/11/2026 in en-gb) and trims spaces."""

    default_error_messages = {"invalid": "Use the format YYYY-MM-DD."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        day = iso_date(value)
        if day is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return day


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


def time_window_filters(field_name: str) -> tuple[django_filters.Filter, ...]:
    """`<x>_after` (at or after), `<x>_before` (before) and `<x>_on` (that UTC date) on one
    time field: `created_after, created_before, created_on = time_window_filters("created_at")`.
    """
    return (
        UtcIsoDateTimeFilter(field_name=field_name, lookup_expr="gte"),
        UtcIsoDateTimeFilter(field_name=field_name, lookup_expr="lt"),
        IsoDateFilter(field_name=field_name, lookup_expr="date"),
    )


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the view's filters.
    Building a filter set's form costs a millisecond of CPU even with nothing to filter (a
    tenth of an intake list page); with no filter named, it would filter nothing anyway."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not filterset_class.base_filters.keys() & set(
            request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
