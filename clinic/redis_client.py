"""The raw Redis client behind Django's default cache, for what Django's cache API cannot say
in one call (the throttle's script, the access epoch's SET NX)."""

from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def primary() -> Any | None:
    """The client of the primary Redis (the one writes go to) behind Django's default cache,
    or None where that cache is not Redis. Reads use it too: a replica could lag behind.

    Made once per cache backend (one per thread) and kept: Django's cache makes a new
    redis.Redis for every call, and making it was about two fifths of the throttle's CPU in
    bench/http_profile.py. It is safe to share; its pool is what holds the connections."""
    backend = caches["default"]  # a proxy: look at what it stands for
    if not isinstance(backend, RedisCache):
        return None
    pools = backend._cache
    client = getattr(pools, "_clinic_primary", None)
    if client is None:
        client = pools._clinic_primary = pools.get_client(None, write=True)
    return client
