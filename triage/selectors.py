"""Reads of triage data, always scoped to the caller's branches."""

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from django.db.models import (
    BooleanField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, JSONObject
from django.db.models.query import ModelIterable
from django_filters import MultipleChoiceFilter
from django_filters.constants import EMPTY_VALUES

from clinic.callers import Caller
from clinic.models import Event
from clinic.scoping import for_caller
from clinic.sql import precompiled
from triage.filtersets import IntakeFilterSet
from triage.models import Assessment, Intake, Patient, Review


class _KnownEmpty(ModelIterable):
    """Intakes that the page's query found without reviews or referrals get empty lists at
    once, so the prefetches below read only for the others (Django prefetches only what is
    not already there): most intakes are never reviewed, and a page of them costs one query
    less. The flags are looked up through the foreign keys' indexes."""

    def __iter__(self) -> Iterator[Any]:
        for intake in super().__iter__():
            if not intake.has_reviews:
                intake.review_list = []
            if not intake.has_referrals:
                intake.referral_list = []
            yield intake


def _any_of(rows: QuerySet[Any]) -> Subquery:
    """Whether the intake has any of these rows: true, else null. A scalar subquery, looked up
    per intake of the page through the foreign key's index: PostgreSQL may run an EXISTS as
    a hash of the whole table (every referral, at a million intakes) before the LIMIT."""
    one = rows.filter(intake=OuterRef("pk")).order_by().values(found=Value(True))[:1]
    return Subquery(one, output_field=BooleanField())


def intake_detail(*, caller: Caller) -> QuerySet[Intake]:
    """The caller's intakes as one is shown whole (retrieve, review, care plan), in a fixed
    number of queries. Reception never sees the answers (minimum necessary), so for it they
    are not even read."""
    intakes = Intake.objects.all()
    if not _sees_any_answers(caller):
        intakes = intakes.defer("answers")
    referrals = _referrals()
    intakes = for_caller(intakes, caller).annotate(
        has_reviews=_any_of(Review.objects.all()), has_referrals=_any_of(referrals.all())
    )
    intakes._iterable_class = _KnownEmpty
    return intakes.select_related("patient", "assessment").prefetch_related(
        # The intake's referrals (a relation the referrals app adds), newest first.
        Prefetch(
            "referrals",
            referrals.order_by("-created_at"),
            to_attr="referral_list",
        ),
        Prefetch(
            "reviews",
            Review.objects.select_related("reviewer").order_by("-created_at", "-id"),
            to_attr="review_list",
        ),
    )


def intake_list(
    *, caller: Caller, referral_columns: tuple[str, ...]
) -> QuerySet[Intake, dict[str, Any]]:
    """The caller's intakes as the API's list shows them: one row of columns each, no model
    built. The stored decision and answers come as their JSON text, for the response to carry
    as they are (decoding and encoding them again was a fifth of a list page's CPU); the
    answers only when the caller may see some (reception never does: not even read). The
    latest referral comes with each intake as a JSON object of its `referral_columns` (as the
    database writes them: see IntakeListItems), and whether it has reviews, so that
    `latest_reviews` reads only for those that do."""
    rows = _intake_rows(with_answers=_sees_any_answers(caller), referral_columns=referral_columns)
    return for_caller(rows, caller)


@cache
def _intake_rows(
    *, with_answers: bool, referral_columns: tuple[str, ...]
) -> QuerySet[Intake, dict[str, Any]]:
    # Built once per process, never evaluated itself (each use filters it, which copies it):
    # building it took as much CPU as running it.
    latest_referral = (
        _referrals()
        .filter(intake=OuterRef("pk"))
        .order_by("-created_at")
        .values(summary=JSONObject(**{column: column for column in referral_columns}))[:1]
    )
    columns: dict[str, Any] = {
        "decision_json": Cast("assessment__decision", TextField()),
        # The subqueries as text, compiled once (clinic.sql.precompiled).
        "has_reviews": precompiled(Intake, _any_of(Review.objects.all())),
        "referral": precompiled(Intake, Subquery(latest_referral)),
    }
    if with_answers:
        columns["answers_json"] = Cast("answers", TextField())
    return Intake.objects.values(*INTAKE_LIST_FIELDS, **columns)


# The columns of a list row besides the JSON texts, the referral and the flag (intake_list).
INTAKE_LIST_FIELDS = (
    "id",
    "branch_id",
    "submitted_at",
    "questionnaire_version",
    "test",
    "patient_id",
    "patient__external_id",
    "patient__date_of_birth",
    "patient__sex",
)


def latest_reviews(rows: list[dict[str, Any]]) -> dict[Any, Review]:
    """The latest review of each intake of a list page that has any ({intake id: review}):
    one query, none when no intake of the page was reviewed."""
    reviewed = [row["id"] for row in rows if row["has_reviews"]]
    reviews: dict[Any, Review] = {}
    if reviewed:
        for review in _reviews_newest_first().filter(intake_id__in=reviewed):
            reviews.setdefault(review.intake_id, review)
    return reviews


@cache
def _reviews_newest_first() -> QuerySet[Review]:
    # Built once per process, as _intake_rows.
    return Review.objects.select_related("reviewer").order_by("-created_at", "-id")


def _referrals() -> Any:
    """The referrals' default manager: a relation the referrals app adds to the intake."""
    return Intake.referrals.rel.related_model._default_manager


def _sees_any_answers(caller: Caller) -> bool:
    return any(caller.sees_answers_in(branch_id) for branch_id in caller.branch_ids)


def assessment_lookup(lookup: str) -> str | None:
    """The same lookup made on an intake's assessment instead of the intake, or None when the
    assessment cannot answer it. Each intake has exactly one assessment, which keeps copies of
    the intake's branch and time: so intakes filtered on their decision, branch and time can
    be counted from their assessments alone, with no join (at a million intakes, joining a
    third of them to their assessments to count a filtered list took half a second)."""
    if lookup.startswith("assessment__"):
        return lookup.removeprefix("assessment__")
    if lookup.split("__", 1)[0] in ("branch", "branch_id", "submitted_at", "test"):
        return lookup
    return None


def intake_count_source(
    assessments: QuerySet[Assessment], lookups: Iterable[tuple[str, object]]
) -> QuerySet[Assessment] | None:
    """The assessments of the intakes that `lookups` (intake lookups, with their values)
    select: as many rows as that list, cheaper to count. None when a lookup is not on the
    decision, branch or time; then only the list itself can be counted. The API's list and
    the admin's change list both count through here."""
    for lookup, value in lookups:
        on_assessment = assessment_lookup(lookup)
        if on_assessment is None:
            return None
        assessments = assessments.filter(**{on_assessment: value})
    return assessments


def intake_list_count_source(
    *, caller: Caller, params: Mapping[str, str]
) -> QuerySet[Assessment] | None:
    """The assessments of the intakes the API's list filtered by `params` holds: as many, and
    cheaper to count. None when that cannot be done (count the list then)."""
    assessments = for_caller(Assessment.objects.all(), caller)
    if not IntakeFilterSet.base_filters.keys() & set(params):
        return assessments  # no filter named (as clinic.api.filters.FilterBackend)
    filterset = IntakeFilterSet(params, queryset=Assessment.objects.none())
    if not filterset.is_valid():
        return None  # the list itself answers 400
    lookups = []
    for name, value in filterset.form.cleaned_data.items():
        if value in EMPTY_VALUES:
            continue
        used = filterset.filters[name]
        if used.method is not None or used.exclude or getattr(used, "conjoined", False):
            return None
        # A choice filter's values are alternatives: one `in` lookup says the same.
        lookup_expr = "in" if isinstance(used, MultipleChoiceFilter) else used.lookup_expr
        lookups.append((f"{used.field_name}__{lookup_expr}", value))
    return intake_count_source(assessments, lookups)


def patient_list(*, caller: Caller) -> QuerySet[Patient]:
    return for_caller(Patient.objects.all(), caller)


def patient_history(*, patient: Patient) -> QuerySet[Event]:
    """Everything that happened to one patient's records, oldest first."""
    return Event.objects.filter(branch_id=patient.branch_id, patient_id=patient.id).order_by("id")
