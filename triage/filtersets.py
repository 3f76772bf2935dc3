import django_filters

from triage.engine import vocabulary as v
from triage.models import Intake


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class IntakeFilterSet(django_filters.FilterSet):
    disposition = django_filters.MultipleChoiceFilter(
        field_name="assessment__disposition", choices=_choices(v.DISPOSITIONS)
    )
    urgency = django_filters.MultipleChoiceFilter(
        field_name="assessment__urgency", choices=_choices(v.URGENCIES)
    )
    service = django_filters.MultipleChoiceFilter(
        field_name="assessment__service", choices=_choices(v.SERVICES)
    )
    red_flags = django_filters.BooleanFilter(
        field_name="assessment__has_red_flags",
        help_text="Only intakes with (or without) red flags.",
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
