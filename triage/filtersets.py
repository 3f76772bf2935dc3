import django_filters

from clinic.api.filters import (
    choice_filter,
    time_window_filters,
    true_false_filter,
)
from triage.engine import RULESETS
from triage.engine import vocabulary as v
from triage.models import Intake, ReplayChange, RulesetActivation


class IntakeFilterSet(django_filters.FilterSet):
    disposition = choice_filter("assessment__disposition", v.DISPOSITIONS)
    urgency = choice_filter("assessment__urgency", v.URGENCIES)
    service = choice_filter("assessment__service", v.SERVICES)
    red_flags = true_false_filter(
        field_name="assessment__has_red_flags",
        help_text="Only intakes with (true) or without (false) red flags.",
    )
    patient = django_filters.UUIDFilter(
        field_name="patient_id", help_text="The patient's `id` (never the external reference)."
    )
    test = true_false_filter(
        field_name="test",
        help_text="Only intakes sent with a test key (true), or only real ones (false).",
    )
    submitted_after, submitted_before, submitted_on = time_window_filters("submitted_at")

    class Meta:
        model = Intake
        fields: list[str] = []


class RulesetActivationFilterSet(django_filters.FilterSet):
    branch = django_filters.CharFilter(
        field_name="branch__slug", help_text="One of your branches, by slug."
    )
    version = choice_filter("version", tuple(RULESETS))

    class Meta:
        model = RulesetActivation
        fields: list[str] = []


class ReplayChangeFilterSet(django_filters.FilterSet):
    kind = choice_filter("kind", tuple(ReplayChange.Kind.values))

    class Meta:
        model = ReplayChange
        fields: list[str] = []
