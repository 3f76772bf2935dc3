"""Throttling per API key and per signed-in person, counted in the shared cache."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from clinic.callers import KeyCaller, StaffCaller
from clinic.client_address import client_address


class _SettingsRateThrottle(SimpleRateThrottle):
    # Read the rate on each request (not once at import), so settings can change it.
    def get_rate(self) -> str:
        return settings.THROTTLE_RATES[self.scope]

    def get_ident(self, request) -> str:
        # DRF's own get_ident trusts the whole X-Forwarded-For unless NUM_PROXIES is set, so
        # a client forging a new address per request would never be counted twice.
        return client_address(request)


class CallerRateThrottle(_SettingsRateThrottle):
    scope = "caller"

    def get_cache_key(self, request, view) -> str | None:
        caller = request.user
        if isinstance(caller, KeyCaller):
            ident = f"key:{caller.api_key.prefix}"
        elif isinstance(caller, StaffCaller):
            ident = f"user:{caller.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(_SettingsRateThrottle):
    """Calls that send no credentials, per client address."""

    scope = "anonymous"

    def get_cache_key(self, request, view) -> str | None:
        if request.user is not None and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
