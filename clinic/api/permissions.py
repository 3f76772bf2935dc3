from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsBranchCaller(BasePermission):
    """Any authenticated caller that acts for at least one branch."""

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and getattr(user, "branch_ids", ()))


class IsClinicianOfBranch(BasePermission):
    """Only a clinician (or clinic admin) of the object's branch; checked before the body is."""

    message = "Only a clinician of this branch may do this."

    def has_object_permission(self, request: Request, view, obj) -> bool:
        return request.user.is_clinician_in(obj.branch_id)
