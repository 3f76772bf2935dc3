"""The one place that limits what a caller may see to the branches it acts for."""

from typing import TypeVar

from django.db.models import Model, QuerySet

from clinic.callers import Caller

M = TypeVar("M", bound=Model)


def for_caller(queryset: QuerySet[M], caller: Caller, field: str = "branch") -> QuerySet[M]:
    """Only the rows of the caller's branches. Every read of branch data goes through here."""
    return queryset.filter(**{f"{field}_id__in": caller.branch_ids})


def for_caller_as(
    queryset: QuerySet[M], caller: Caller, roles: tuple[str, ...], field: str = "branch"
) -> QuerySet[M]:
    """Only the rows of the branches where the caller holds one of `roles`."""
    return queryset.filter(**{f"{field}_id__in": caller.branch_ids_as(roles)})
