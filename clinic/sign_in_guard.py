"""Failed sign-ins, counted per account and per client address, to stop password guessing.

The admin's sign-in page and POST /api/v1/auth/tokens/ both ask `locked_for` before checking
a password and report each outcome here. After `SIGN_IN_MAX_FAILURES_PER_ACCOUNT` failures
for one account name, or `SIGN_IN_MAX_FAILURES_PER_ADDRESS` from one address, within
`SIGN_IN_LOCKOUT_MINUTES` of the first, sign-ins for that name or from that address are refused
for that many minutes, even with the right password: a guesser learns nothing more.

The counts live in Django's shared cache (Redis when REDIS_URL is set, so every app server
counts together). Keys hold SHA-256 digests, never the name or address itself. The address is
the one the throttle counts (clinic/client_address.py), so a forged X-Forwarded-For does not
start a fresh count.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from clinic.client_address import client_address

_PREFIX = "sign-in"


def _digest(value: str) -> str:
    # "surrogatepass": whatever was typed, even a lone surrogate, makes a key.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _counted(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    """What one sign-in counts against, each with its limit."""
    return [
        # Case-folded: Dr.North and dr.north are one account name to a guesser.
        (f"account:{_digest(username.casefold())}", settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT),
        (f"address:{_digest(client_address(request))}", settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS),
    ]


def locked_for(request: HttpRequest, username: str) -> int:
    """Seconds until a sign-in as `username` from this request's address may be tried again;
    0 when it may be tried now."""
    keys = [f"{_PREFIX}:locked:{ident}" for ident, _ in _counted(request, username)]
    until = max(cache.get_many(keys).values(), default=0)
    return max(0, math.ceil(until - time.time()))


def record_failure(request: HttpRequest, username: str) -> None:
    window = settings.SIGN_IN_LOCKOUT_MINUTES * 60
    for ident, limit in _counted(request, username):
        key = f"{_PREFIX}:failures:{ident}"
        # The window starts with the first failure; incr is atomic in Redis and in locmem, so
        # concurrent guesses are all counted.
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # the count expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        if count >= limit:
            cache.set(f"{_PREFIX}:locked:{ident}", time.time() + window, timeout=window)
            cache.delete(key)  # counting starts again once the lock has passed


def record_success(request: HttpRequest, username: str) -> None:
    """The person got their password right: their earlier slips no longer count. The
    address's count stays, or a guesser with an account of their own could clear it."""
    cache.delete(f"{_PREFIX}:failures:{_counted(request, username)[0][0]}")
