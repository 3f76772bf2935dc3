from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from clinic.api.throttling import AnonymousRateThrottle


class IsBranchCaller(BasePermission):
    """Any authenticated caller that acts for at least one branch."""

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            # DRF checks throttles only after permissions, so a call without credentials
            # would never be counted; count it here, before answering 401.
            throttle = AnonymousRateThrottle()
            if not throttle.allow_request(request, view):
                raise exceptions.Throttled(throttle.wait())
            return False
        return bool(getattr(user, "branch_ids", ()))


class HasRequiredRole(BasePermission):
    """The roles a view declares, one check for every viewset (clinic.api.viewsets).

    `required_roles` ({action: roles}, `"*"` for every action not named) is checked before
    anything else: the caller must hold one of the roles in at least one branch. Its
    `object_roles` ({action: roles}) is checked by `get_object`, after the queryset is scoped
    to the caller: outside their branches the object is a 404, inside one where they hold none
    of the roles a 403, before the body is read. The 403 says the view's `role_message`.
    """

    message: str | None = None  # DRF's own unless the view says `role_message`

    def has_permission(self, request: Request, view) -> bool:
        required = getattr(view, "required_roles", {})
        roles = required.get(getattr(view, "action", None), required.get("*"))
        if roles is None:
            return True
        self.message = getattr(view, "role_message", None)
        return bool(request.user.branch_ids_as(tuple(roles)))

    def has_object_permission(self, request: Request, view, obj) -> bool:
        roles = getattr(view, "object_roles", {}).get(getattr(view, "action", None))
        if roles is None:
            return True
        self.message = getattr(view, "role_message", None)
        return obj.branch_id in request.user.branch_ids_as(tuple(roles))
