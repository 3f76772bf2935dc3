"""Authentication: API keys for reception systems, sessions for staff signed in to the admin."""

import copy
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from knox.auth import TokenAuthentication
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from clinic import access_epoch
from clinic.callers import Caller, KeyCaller, StaffCaller
from clinic.models import ApiKey
from clinic.request_context import actor_var


def _identified(caller: Caller) -> Caller:
    """Name the caller in this request's log lines (never a patient detail)."""
    actor_var.set(caller.actor)
    return caller


@dataclass(frozen=True)
class _Remembered:
    epoch: str  # the access epoch it was read under (clinic.access_epoch)
    read_at: float  # time.monotonic()
    api_key: ApiKey  # usable when read, with its branch


# This process's usable keys with their branches, by prefix, as last read from the database.
# Used only under the access epoch they were read under, and for at most
# API_KEY_CACHE_MAX_AGE seconds; the secret and the expiry are checked on every request.
_remembered: dict[str, _Remembered] = {}
_remembered_under: list[str | None] = [None]  # the epoch of the last request that read one


def _usable_key(key: str) -> ApiKey | None:
    """The usable (unrevoked) key whose secret this is, or None. Read from the database,
    unless this process read it under the current access epoch, recently enough."""
    max_age = settings.API_KEY_CACHE_MAX_AGE
    epoch = access_epoch.current() if max_age > 0 else None
    if epoch is None:  # no Redis, or Redis failing: nothing remembered can be trusted
        _remembered.clear()
        try:
            return ApiKey.objects.get_from_key(key)
        except ApiKey.DoesNotExist:
            return None
    if epoch != _remembered_under[0]:
        _remembered.clear()  # a key or a branch changed somewhere
        _remembered_under[0] = epoch
    prefix = key.partition(".")[0]
    now = time.monotonic()
    entry = _remembered.get(prefix)
    if entry is None or entry.epoch != epoch or now - entry.read_at > max_age:
        found = ApiKey.objects.get_usable_keys().filter(prefix=prefix).first()
        if found is None:
            return None  # (unknown and revoked keys are not remembered)
        entry = _Remembered(epoch, now, found)
        _remembered[prefix] = entry
    # A request's own instances: nothing one request sets on them reaches another.
    api_key = copy.copy(entry.api_key)  # (its _state and field cache are copied too)
    api_key._state.fields_cache["branch"] = copy.copy(entry.api_key.branch)
    return api_key if api_key.is_valid(key) else None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[KeyCaller, ApiKey] | None:
        key = self.parser.get(request)
        if key is None:
            return None  # no Api-Key header: let the permission answer 401
        api_key = _usable_key(key.strip())
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
