"""The base of every API viewset: what each of them would otherwise repeat.

- `StrictQueryMixin` (first, as every API view has it) and `AuditedMixin`;
- `caller`: who is calling (`request.user`, a `clinic.callers.Caller`);
- the schema guard: schema generation has no caller, so `get_queryset` answers an empty
  queryset of `queryset_model` then, and otherwise the viewset's `get_scoped_queryset()`;
- declared roles: `required_roles` and `object_roles` ({action: roles}), read by the one
  permission class `HasRequiredRole` (clinic.api.permissions), after `IsBranchCaller` (401 without
  credentials, 403 for a caller of no branch).
"""

from collections.abc import Collection, Mapping
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import viewsets

from clinic.api.permissions import HasRequiredRole, IsBranchCaller
from clinic.api.query import StrictQueryMixin
from clinic.audit import AuditedMixin
from clinic.callers import Caller


class ClinicViewSet(StrictQueryMixin, AuditedMixin, viewsets.GenericViewSet):
    # No docstring, and first among a viewset's bases (its DRF mixins after it): the OpenAPI
    # description of a viewset without a docstring of its own is the first docstring in its
    # bases before DRF's own classes, which has always been StrictQueryMixin's. A docstring
    # here, or a DRF mixin before this class, would change the published schema.

    permission_classes = [IsBranchCaller, HasRequiredRole]
    queryset_model: type[Model]
    # {action: roles}; "*" for every action not named. Checked before anything else.
    required_roles: Mapping[str, Collection[str]] = {}
    # {action: roles the caller holds in the object's branch}. Checked by get_object.
    object_roles: Mapping[str, Collection[str]] = {}
    role_message: str | None = None  # the 403's message when a role is missing

    @property
    def caller(self) -> Caller:
        return self.request.user

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return self.queryset_model._default_manager.none()
        return self.get_scoped_queryset()

    def get_scoped_queryset(self) -> QuerySet[Any]:
        """The rows this caller may reach with the current action."""
        raise NotImplementedError
