"""The access epoch: a value in Redis that changes whenever what a request's authentication
reads (an API key, a branch) changes, so that each process can tell whether what it remembers
of them may still be used (clinic.api.authentication keeps the keys it has read).

- Every save or delete of an ApiKey or a Branch through the ORM (a service, the admin, a
  shell) sets a new random epoch once its transaction commits (signals: nothing can forget).
  The process that made the change also forgets at once, before the commit, by a local count
  that is part of the epoch it reads.
- A missing epoch (Redis restarted or flushed) is set afresh (SET NX): nothing remembered
  under the old one is used again.
- The key is named after the database, not the cache's KEY_PREFIX: every process that reads
  the same database shares it, whatever its prefix.
- A write that bypasses the signals (QuerySet.update, raw SQL) moves no epoch: what a process
  remembers is used for at most settings.API_KEY_CACHE_MAX_AGE seconds.

`current()` is None where the epoch cannot be known: no Redis (the development cache is one
process's memory and cannot tell the others), or Redis failing. Then nothing remembered may
be used: the caller reads the database.
"""

import itertools
import logging
import secrets
from typing import Any

from django.db import connections, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from clinic import redis_client
from clinic.models import ApiKey, Branch

log = logging.getLogger(__name__)

# Changes seen by this process, counted at the save or delete itself (before the commit, and
# also in a transaction that is never committed, as a test's is).
_local_changes = itertools.count()
_local = next(_local_changes)


def _client() -> Any | None:
    """The raw Redis client behind Django's default cache, or None where it is not Redis."""
    return redis_client.primary()


def _key() -> str:
    return f"clinic:access-epoch:{connections['default'].settings_dict['NAME']}"


def _fresh() -> str:
    return secrets.token_hex(16)


def current() -> str | None:
    """The epoch now (one Redis GET), or None where it cannot be known."""
    local = _local  # read before Redis: a change between the two shows in the next call
    client = _client()
    if client is None:
        return None
    key = _key()
    try:
        value = client.get(key)
        if value is None:  # Redis restarted or was flushed: a new epoch, so all is stale
            fresh = _fresh()
            value = fresh.encode() if client.set(key, fresh, nx=True) else client.get(key)
            if value is None:
                return None
    except Exception:
        log.warning("access epoch unreadable: reading API keys from the database", exc_info=True)
        return None
    return f"{value.decode()}:{local}"


def bump() -> None:
    """Set a new epoch: every process forgets what it remembers of keys and branches."""
    client = _client()
    if client is None:
        return
    try:
        client.set(_key(), _fresh())
    except Exception:
        log.error(
            "access epoch not moved (Redis failing): other processes may use what they "
            "remember of API keys for up to API_KEY_CACHE_MAX_AGE seconds",
            exc_info=True,
        )


def _changed(using: str) -> None:
    global _local
    _local = next(_local_changes)
    transaction.on_commit(bump, using=using)


@receiver(post_save, sender=ApiKey, dispatch_uid="clinic.access_epoch.api_key_saved")
@receiver(post_delete, sender=ApiKey, dispatch_uid="clinic.access_epoch.api_key_deleted")
@receiver(post_save, sender=Branch, dispatch_uid="clinic.access_epoch.branch_saved")
@receiver(post_delete, sender=Branch, dispatch_uid="clinic.access_epoch.branch_deleted")
def _access_changed(sender, using: str, **kwargs) -> None:
    _changed(using)
