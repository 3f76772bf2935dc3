from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsBranchCaller(BasePermission):
    """Any authenticated caller that acts for at least one branch."""

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and getattr(user, "branch_ids", ()))
