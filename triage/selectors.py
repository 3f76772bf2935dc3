"""Reads of triage data, always scoped to the caller's branches."""

from collections.abc import Mapping
from copy import copy

from django.db.models import Prefetch, QuerySet
from django_filters.constants import EMPTY_VALUES

from clinic.callers import Caller
from clinic.models import Event
from clinic.scoping import for_caller
from triage.filtersets import IntakeFilterSet
from triage.models import Assessment, Intake, Patient, Review


def intake_list(*, caller: Caller) -> QuerySet[Intake]:
    """The caller's intakes with everything a list page shows, in a fixed number of queries.
    Reception never sees the answers (minimum necessary), so for it they are not even read."""
    intakes = Intake.objects.all()
    if not any(caller.sees_answers_in(branch_id) for branch_id in caller.branch_ids):
        intakes = intakes.defer("answers")
    return (
        for_caller(intakes, caller)
        .select_related("patient", "assessment")
        .prefetch_related(
            # The intake's referrals (a relation the referrals app adds), newest first.
            Prefetch(
                "referrals",
                Intake.referrals.rel.related_model.objects.order_by("-created_at"),
                to_attr="referral_list",
            ),
            Prefetch(
                "reviews",
                Review.objects.select_related("reviewer").order_by("-created_at"),
                to_attr="review_list",
            ),
        )
    )


def assessment_lookup(lookup: str) -> str | None:
    """The same lookup made on an intake's assessment instead of the intake, or None when the
    assessment cannot answer it. Each intake has exactly one assessment, which keeps copies of
    the intake's branch and time: so intakes filtered on their decision, branch and time can
    be counted from their assessments alone, with no join (at a million intakes, joining a
    third of them to their assessments to count a filtered list took half a second)."""
    if lookup.startswith("assessment__"):
        return lookup.removeprefix("assessment__")
    if lookup.split("__", 1)[0] in ("branch", "branch_id", "submitted_at"):
        return lookup
    return None


def intake_count(*, caller: Caller, params: Mapping[str, str]) -> int | None:
    """How many intakes the list filtered by `params` holds, counted from their assessments;
    None when a filter in use is not on the decision, branch or time (count the list then)."""
    assessments = for_caller(Assessment.objects.all(), caller)
    if not IntakeFilterSet.base_filters.keys() & set(params):
        return assessments.count()  # no filter named (as clinic.api.filters.FilterBackend)
    filterset = IntakeFilterSet(params, queryset=Assessment.objects.none())
    if not filterset.is_valid():
        return None  # the list itself answers 400
    for name, value in filterset.form.cleaned_data.items():
        if value in EMPTY_VALUES:
            continue
        on_assessment = copy(filterset.filters[name])  # the same filter, on the assessment
        on_assessment.field_name = assessment_lookup(on_assessment.field_name)
        if on_assessment.field_name is None:
            return None
        assessments = on_assessment.filter(assessments, value)
    return assessments.count()


def patient_list(*, caller: Caller) -> QuerySet[Patient]:
    return for_caller(Patient.objects.all(), caller)


def patient_history(*, patient: Patient) -> QuerySet[Event]:
    """Everything that happened to one patient's records, oldest first."""
    return Event.objects.filter(branch_id=patient.branch_id, patient_id=patient.id).order_by("id")
