"""Authentication: API keys for reception systems, sessions for staff signed in to the admin."""

from knox.auth import TokenAuthentication
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from clinic.callers import Caller, KeyCaller, StaffCaller
from clinic.models import ApiKey
from clinic.request_context import actor_var


def _identified(caller: Caller) -> Caller:
    """Name the caller in this request's log lines (never a patient detail)."""
    actor_var.set(caller.actor)
    return caller


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[KeyCaller, ApiKey] | None:
        key = self.parser.get(request)
        if key is None:
            return None  # no Api-Key header: let the permission answer 401
        try:
            api_key = ApiKey.objects.get_from_key(key.strip())
        except ApiKey.DoesNotExist:
            api_key = None
        if api_key is None or api_key.has_expired:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        return _identified(KeyCaller(api_key)), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """A staff member signed in to the admin, with their branch roles (CSRF enforced)."""

    def authenticate(self, request: Request) -> tuple[StaffCaller, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        if not user.is_staff:
            return None
        return _identified(StaffCaller.for_user(user)), None


class StaffTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` for scripted staff use; tokens expire and can be revoked."""

    def authenticate(self, request: Request) -> tuple[StaffCaller, object] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if not user.is_staff:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        return _identified(StaffCaller.for_user(user)), token
