import django_filters
from django.db.models import QuerySet

from clinic.api.filters import (
    choice_filter,
    time_window_filters,
    true_false_filter,
)
from referrals.models import REFERRED_SERVICES, Referral
from referrals.selectors import overdue_condition
from referrals.workflow import STATUSES
from triage.engine import vocabulary as v


class ReferralFilterSet(django_filters.FilterSet):
    status = choice_filter("status", STATUSES)
    service = choice_filter("service", REFERRED_SERVICES)
    urgency = choice_filter("urgency", v.URGENCIES)
    overdue = true_false_filter(
        method="filter_overdue",
        help_text="Past the due-by time and not yet booked (true), or not (false).",
    )
    patient = django_filters.UUIDFilter(field_name="patient_id", help_text="The patient's `id`.")
    intake = django_filters.UUIDFilter(field_name="intake_id")
    created_after, created_before, created_on = time_window_filters("created_at")

    class Meta:
        model = Referral
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return (
            queryset.filter(overdue_condition()) if value else queryset.exclude(overdue_condition())
        )
