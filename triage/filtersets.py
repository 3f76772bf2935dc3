import django_filters

from triage.engine import vocabulary as v
from triage.models import Intake


def _choice_filter(field_name: str, values: tuple[str, ...]) -> django_filters.Filter:
    # Django's own message repeats the submitted value; ours lists the allowed ones instead.
    return django_filters.MultipleChoiceFilter(
        field_name=field_name,
        choices=[(value, value) for value in values],
        error_messages={"invalid_choice": f"Must be one of: {', '.join(values)}."},
    )


class IntakeFilterSet(django_filters.FilterSet):
    disposition = _choice_filter("assessment__disposition", v.DISPOSITIONS)
    urgency = _choice_filter("assessment__urgency", v.URGENCIES)
    service = _choice_filter("assessment__service", v.SERVICES)
    # Only `true` or `false`: anything else is refused rather than silently ignored.
    red_flags = django_filters.TypedChoiceFilter(
        field_name="assessment__has_red_flags",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        error_messages={"invalid_choice": "Must be true or false."},
        help_text="Only intakes with (true) or without (false) red flags.",
    )
    patient = django_filters.UUIDFilter(
        field_name="patient_id", help_text="The patient's `id` (never the external reference)."
    )
    submitted_after = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    submitted_on = django_filters.DateFilter(field_name="submitted_at", lookup_expr="date")

    class Meta:
        model = Intake
        fields: list[str] = []
