"""Idempotency-Key for POSTs that create something.

A retry with the same key and the same request replays the first response; the same key with
another request is 422; a retry while the first is still running is 409 with Retry-After.
Keys belong to one caller. The record is completed in the same transaction as the change it
guards, so either both are stored or neither is.
"""

import functools
import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from clinic import held_writes
from clinic.api import renderers
from clinic.errors import Conflict, Invalid, Unprocessable
from clinic.events import feed_batch
from clinic.models import IdempotencyRecord

HEADER = "Idempotency-Key"
VALID_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # 1 to 255 visible ASCII
# A record still running after this long belonged to a process that died: it may be retried.
ABANDONED_AFTER = timedelta(minutes=5)
REPLAYED_HEADERS = ("Location", "ETag")


KEY_REUSED = "This Idempotency-Key was used with a different request."
STILL_RUNNING = "A request with this Idempotency-Key is still being processed; retry soon."


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _as_stored(data: Any) -> Any:
    """The response's data as its JSON reads back (what a replay sends): written as the
    renderer writes it, then read."""
    try:
        return orjson.loads(renderers.dumps(data))
    except orjson.JSONEncodeError:  # what only DRF's encoder can write
        return json.loads(json.dumps(data, cls=JSONEncoder))


def _claim(caller: str, key: str, request_hash: str) -> tuple[int, IdempotencyRecord | None]:
    """Claim this key inside the change's transaction: (record id, None) to run the request,
    (record id, the done record) to replay its stored response. The claim and the change commit
    together, so a request that fails leaves no claim behind. A twin request sent meanwhile
    waits at the INSERT (the unique index) until this one ends, then replays its response."""
    now = timezone.now()
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (caller, key, request_hash, done, response_headers, "  # noqa: S608
            "created_at) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (caller, key) DO NOTHING RETURNING id",
            [caller, key, request_hash, False, "{}", now],
        )
        inserted = cursor.fetchone()
    if inserted is not None:
        return inserted[0], None
    record = IdempotencyRecord.objects.select_for_update().get(caller=caller, key=key)
    if record.request_hash != request_hash:
        raise Unprocessable(
            {HEADER: [KEY_REUSED]}, code="idempotency_key_reused", message=KEY_REUSED
        )
    if record.done:
        return record.pk, record
    if record.created_at > now - ABANDONED_AFTER:
        raise Conflict(
            {HEADER: [STILL_RUNNING]},
            code="idempotency_key_in_progress",
            message=STILL_RUNNING,
            headers={"Retry-After": "1"},
        )
    record.created_at = now  # take over an abandoned attempt
    record.save(update_fields=["created_at"])
    return record.pk, None


def idempotent(view_method):
    """Wrap a view method that creates something: one transaction holds the Idempotency-Key's
    claim (when one is sent), the change, its feed events, the stored response and the audit
    record (a view with `audit_in_transaction`), so all are stored or none is."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is not None and not VALID_IDEMPOTENCY_KEY.match(key):
            raise Invalid({HEADER: ["Use 1 to 255 visible ASCII characters, such as a UUID."]})
        # The change's feed events wait until the response is stored, so the feed's lock is
        # held only for their INSERT and the commit (see clinic.events).
        with transaction.atomic(), feed_batch():
            record_id = None
            if key is not None:
                record_id, done = _claim(request.user.identity, key, _request_hash(request))
                if done is not None:
                    return _replay(self, done)
            response = view_method(self, request, *args, **kwargs)
            if record_id is not None:
                held_writes.update(
                    IdempotencyRecord.objects.filter(pk=record_id),
                    done=True,
                    response_status=response.status_code,
                    response_body=_as_stored(response.data),
                    response_headers={
                        name: response[name]
                        for name in REPLAYED_HEADERS
                        if response.has_header(name)
                    },
                )
            audit = getattr(self, "audit_in_transaction", None)
            if audit is not None:
                audit(request, response)
        return response

    return wrapper


def _replay(view, record: IdempotencyRecord) -> Response:
    """The first response again, for the caller as they are now. The same key does not carry
    the rights the caller had then: a clinician demoted to reception, or moved to another
    branch, is refused exactly as a first request would be (the view's object lookup applies
    scoping and object permissions), and the body is shaped by the view for the caller's
    current role (`idempotent_replay_body`), so a replay never shows what a new request
    would not."""
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    if lookup and lookup in getattr(view, "kwargs", {}):
        view.get_object()  # 404 outside the caller's branches, 403 without the role
    body = record.response_body
    shape = getattr(view, "idempotent_replay_body", None)
    if shape is not None and record.response_status < 300:
        body = shape(body)
    return Response(
        body,
        status=record.response_status,
        headers={**record.response_headers, "Idempotent-Replayed": "true"},
    )


def purge_expired(*, older_than: timedelta | None = None) -> int:
    """Delete records older than the retention (never less than 24 hours)."""
    keep = max(older_than or settings.IDEMPOTENCY_RETENTION, timedelta(hours=24))
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - keep).delete()
    return deleted
