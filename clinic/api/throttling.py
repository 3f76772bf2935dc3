"""Throttling per API key and per signed-in person, counted in the shared cache.

A caller's allowance is also told on every response to them (clinic.middleware.
RateLimitHeadersMiddleware), as `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
(the IETF httpapi draft's fields), so that a client can slow down before it gets a 429.
"""

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from clinic import redis_client
from clinic.callers import KeyCaller, StaffCaller
from clinic.client_address import client_address

# On Redis a caller's request times are a list (newest first), trimmed, counted and appended
# by one script: one round trip per request, nothing pickled, and two servers counting the
# same caller at once can never both take the last request of a window (DRF's own throttle
# reads, then writes, in two calls). Returns [allowed, requests in the window, the oldest].
_COUNT = """
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
while true do
  local oldest = redis.call('LINDEX', KEYS[1], -1)
  if not oldest or tonumber(oldest) > now - duration then break end
  redis.call('RPOP', KEYS[1])
end
local n, allowed = redis.call('LLEN', KEYS[1]), 0
if ARGV[4] == '1' and n < limit then
  redis.call('LPUSH', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(duration))
  n, allowed = n + 1, 1
end
return {allowed, n, redis.call('LINDEX', KEYS[1], -1) or ''}
"""


def _redis() -> RedisCache | None:
    # DRF's throttles count in Django's default cache (a proxy: look at what it stands for).
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


class _SettingsRateThrottle(SimpleRateThrottle):
    # Read the rate on each request (not once at import), so settings can change it.
    def get_rate(self) -> str:
        return settings.THROTTLE_RATES[self.scope]

    def allow_request(self, request: Any, view: Any) -> bool:
        if _redis() is None or self.rate is None:
            return super().allow_request(request, view)  # the development cache
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        allowed, self.history = self._count(self.key, self.now, add=True)
        return allowed

    def _count(self, key: str, now: float, *, add: bool) -> tuple[bool, list[float]]:
        """Count (add=True) or only look (add=False): whether this request is allowed, and
        a stand-in for DRF's history (its length and oldest entry are all that is read)."""
        cache: Any = _redis()
        stored_key = cache.make_and_validate_key(key)
        client = redis_client.primary()
        allowed, n, oldest = client.eval(
            _COUNT, 1, stored_key, repr(now), self.duration, self.num_requests, int(add)
        )
        return bool(allowed), [now] * (n - 1) + [float(oldest)] if n else []

    def get_ident(self, request) -> str:
        # DRF's own get_ident trusts the whole X-Forwarded-For unless NUM_PROXIES is set, so
        # a client forging a new address per request would never be counted twice.
        return client_address(request)


@dataclass(frozen=True)
class Allowance:
    """Where a caller stands in the current window."""

    limit: int  # requests per window
    remaining: int  # requests left in it
    reset: int  # seconds until the oldest counted request leaves the window

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


class CallerRateThrottle(_SettingsRateThrottle):
    scope = "caller"

    def allow_request(self, request: Any, view: Any) -> bool:
        allowed = super().allow_request(request, view)
        if getattr(self, "key", None) is not None:  # a caller counted (and a rate set)
            # On the Django request, which the middleware that writes the headers sees.
            request._request.rate_limit = self._allowance(self.history, self.now)
        return allowed

    def allowance(self, request: HttpRequest) -> Allowance | None:
        """The caller's allowance without counting a request: for a response that was not
        counted (refused before throttling, as a 403 is). Reads the cache, never the database."""
        key = self.get_cache_key(request, None)
        if key is None or self.rate is None:
            return None
        now = self.timer()
        if _redis() is not None:
            _, history = self._count(key, now, add=False)
        else:
            history = [at for at in self.cache.get(key, []) if at > now - self.duration]
        return self._allowance(history, now)

    def _allowance(self, history: list[float], now: float) -> Allowance:
        # history is newest first (SimpleRateThrottle's order).
        reset = self.duration - (now - history[-1]) if history else 0
        return Allowance(
            limit=self.num_requests,
            remaining=max(self.num_requests - len(history), 0),
            reset=max(math.ceil(reset), 0),
        )

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
