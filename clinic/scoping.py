"""The one place that limits what a caller may see to the branches it acts for."""

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet

from clinic.callers import Caller
from clinic.errors import NotFound

M = TypeVar("M", bound=Model)
R = TypeVar("R")  # a row: the model, or a .values() dict


def for_caller(queryset: QuerySet[M, R], caller: Caller, field: str = "branch") -> QuerySet[M, R]:
    """Only the rows of the caller's branches. Every read of branch data goes through here."""
    return queryset.filter(**{f"{field}_id__in": caller.branch_ids})


def for_caller_as(
    queryset: QuerySet[M], caller: Caller, roles: tuple[str, ...], field: str = "branch"
) -> QuerySet[M]:
    """Only the rows of the branches where the caller holds one of `roles`."""
    return queryset.filter(**{f"{field}_id__in": caller.branch_ids_as(roles)})


def get_or_not_found(queryset: QuerySet[M], **lookup) -> M:
    """The one row `lookup` names, or the domain's NotFound: also when the lookup's value
    is not even of the right type (a path's id that is not a UUID)."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, TypeError, ValueError, ValidationError):
        raise NotFound() from None
