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


class IsClinicianOfBranch(BasePermission):
    """Only a clinician (or clinic admin) of the object's branch; checked before the body is."""

    message = "Only a clinician of this branch may do this."

    def has_object_permission(self, request: Request, view, obj) -> bool:
        return request.user.is_clinician_in(obj.branch_id)
