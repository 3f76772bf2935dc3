"""Reads of referrals, scoped to the caller's branches, with `overdue` worked out in the query."""

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from clinic.callers import Caller
from clinic.scoping import for_caller
from referrals.models import Referral
from referrals.workflow import AWAITING_BOOKING
from triage.models import Review


def overdue_condition() -> Q:
    """Past its due-by time and not yet booked."""
    return Q(due_by__lt=timezone.now(), status__in=AWAITING_BOOKING)


def with_overdue(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    return queryset.annotate(
        overdue=Case(When(overdue_condition(), then=Value(True)), default=Value(False),
                     output_field=BooleanField())
    )  # fmt: skip


def referral_list(*, caller: Caller) -> QuerySet[Referral]:
    return with_overdue(for_caller(Referral.objects.all(), caller)).select_related("patient")


def referral_detail(*, caller: Caller) -> QuerySet[Referral]:
    return referral_list(caller=caller).prefetch_related("history")


def with_letter_data(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """What the letter reads: the decision, the branch's contact details, and the intake's
    reviews newest first (`review_list`, where triage.decisions.latest_review looks)."""
    reviews = Review.objects.order_by("-created_at", "-id")
    return queryset.select_related("intake__assessment", "branch", "patient").prefetch_related(
        Prefetch("intake__reviews", queryset=reviews, to_attr="review_list")
    )


def referral_letter(*, caller: Caller) -> QuerySet[Referral]:
    return with_letter_data(referral_list(caller=caller))
