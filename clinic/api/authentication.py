"""Authentication: API keys for reception systems, sessions for staff signed in to the admin."""

from typing import Any

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


def _staff_caller(result: tuple[Any, Any] | None) -> StaffCaller | None:
    """The caller a user authenticated by Django or knox acts as, if they are staff."""
    if result is None or not result[0].is_staff:
        return None
    return _identified(StaffCaller.for_user(result[0]))


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """A staff member signed in to the admin, with their branch roles (CSRF enforced)."""

    def authenticate(self, request: Request) -> tuple[StaffCaller, None] | None:
        caller = _staff_caller(super().authenticate(request))
        return None if caller is None else (caller, None)  # not staff: not this credential


class StaffTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` for scripted staff use; tokens expire and can be revoked."""

    def authenticate(self, request: Request) -> tuple[StaffCaller, object] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        caller = _staff_caller(result)
        if caller is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        return caller, result[1]
