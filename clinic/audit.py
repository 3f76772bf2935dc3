"""Recording every read and write of patient data, and every refused attempt.

Views opt in with `AuditedMixin`, naming an audit action per view action; the record is
written once the response is known, so it carries the outcome. A request that crashes (a 500)
is recorded too, with outcome `error`, by a receiver of Django's `got_request_exception`.
"""

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import held_writes
from clinic.callers import Caller, KeyCaller, StaffCaller
from clinic.models import AuditEvent, AuditPatient, PrintLink, StaffRole
from clinic.sql import insert_sql

logger = logging.getLogger("clinic.audit")

# An object id as our URLs and records make them (UUIDs, numbers, key prefixes). Anything else
# (a NUL, a surrogate, a long blob from a crafted path) is recorded as INVALID_ID: it could not
# be stored, or could carry whatever the caller typed.
_STORABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
INVALID_ID = "(invalid)"
# A name an account could have (Django's username characters). A failed sign-in is recorded
# under the name tried only if it is one, so nothing else typed there reaches the trail.
_ACCOUNT_NAME = re.compile(r"[\w.@+-]{1,150}")


def _outcome(status_code: int) -> str:
    if status_code >= 500:
        return "error"
    return "denied" if status_code in (401, 403, 404, 429) else "allowed"


def _who(caller: Any, branch_id: int | None) -> dict[str, Any]:
    if isinstance(caller, KeyCaller):
        return {"actor": caller.actor, "api_key": caller.api_key,
                "branch_id": caller.api_key.branch_id, "role": "reception_system"}  # fmt: skip
    if isinstance(caller, StaffCaller):
        if branch_id is None and len(caller.roles) == 1:
            branch_id = next(iter(caller.roles))
        role = "superuser" if caller.user.is_superuser else caller.roles.get(branch_id, "")
        return {"actor": caller.actor, "user": caller.user, "branch_id": branch_id, "role": role}
    return {"actor": "-", "branch_id": None, "role": ""}


def _storable_id(value: Any) -> str:
    text = str(value)
    return text if _STORABLE_ID.fullmatch(text) else INVALID_ID


def record(
    *,
    request: Request | HttpRequest,
    action: str,
    status_code: int,
    object_type: str = "",
    object_ids: Iterable[Any] = (),
    patient_ids: Iterable[Any] = (),
    branch_id: int | None = None,
    caller: Any = None,
    actor: str | None = None,
    outcome: str | None = None,
    link: PrintLink | None = None,
) -> AuditEvent:
    """One audit record. `caller` defaults to the request's user, which in the API is the
    authenticated Caller; admin pages pass the StaffCaller themselves. `actor` names someone
    who is not signed in (a failed sign-in); `outcome` overrides the one the status implies.
    `link` is a signed link being opened: the opening is recorded under whoever made it."""
    if link is not None:
        who = {
            "actor": f"{link.created_by} via link {link.pk}"[:200],
            "user": link.user,
            "api_key": link.api_key,
            "branch_id": link.branch_id,
            "role": "print_link",
        }
    elif actor is not None:
        who = {"actor": actor, "branch_id": branch_id, "role": ""}
    else:
        who = _who(caller if caller is not None else getattr(request, "user", None), branch_id)
    event = AuditEvent(
        at=timezone.now(),
        action=action,
        object_type=object_type,
        object_ids=[_storable_id(i) for i in object_ids],
        request_id=getattr(request, "request_id", "-"),
        status_code=status_code,
        outcome=outcome or _outcome(status_code),
        **who,
    )
    _insert(event, sorted({str(p) for p in patient_ids if p}))
    return event


def _insert(event: AuditEvent, patient_ids: list[str]) -> None:
    """Store an event and the patients it concerns: both or neither. On PostgreSQL in one
    statement (a data-modifying CTE), since every API request writes one of these and each
    statement is a round trip: held to the end of the change's transaction when one holds
    writes (clinic.held_writes). Elsewhere in one transaction."""
    if connection.vendor != "postgresql":
        # No savepoint: inside a change's transaction a failure here fails the change anyway.
        with transaction.atomic(savepoint=False):
            event.save()
            AuditPatient.objects.bulk_create(
                AuditPatient(event=event, patient_id=p) for p in patient_ids
            )
        return
    change = held_writes.current()
    held = change if change is not None else held_writes.Held()
    insert, params = insert_sql([event], returning=("id",))
    name = held.add(insert, params)
    if patient_ids:
        held.add(
            f"INSERT INTO {AuditPatient._meta.db_table} (event_id, patient_id) "  # noqa: S608
            f"SELECT {name}.id, x FROM {name}, unnest(%s::uuid[]) AS x",
            [patient_ids],
        )
    event._state.adding = False
    if change is not None:
        return  # written with the change, its id unread
    with connection.cursor() as cursor:
        cursor.execute(held.statement(cursor, f"SELECT id FROM {name}"))  # noqa: S608
        event.pk = cursor.fetchone()[0]


def sign_in_attempt(username: str) -> dict[str, Any]:
    """How a failed or refused sign-in is recorded (as `record` keywords): refused, under the
    name tried (staff data, never a patient's), with no user (nobody signed in), and in the
    branch of the account of that name when it works in exactly one, so that the branch's
    clinic admins see who is trying their people's passwords."""
    if not _ACCOUNT_NAME.fullmatch(username):
        return {"actor": f"user:{INVALID_ID}", "outcome": "denied"}
    name_field = f"user__{get_user_model().USERNAME_FIELD}"
    branch_ids = list(
        StaffRole.objects.filter(**{name_field: username})
        .values_list("branch_id", flat=True)
        .distinct()[:2]
    )
    branch_id = branch_ids[0] if len(branch_ids) == 1 else None
    return {"actor": f"user:{username}", "branch_id": branch_id, "outcome": "denied"}


def _items(data: Any) -> list[dict]:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return [item for item in data["results"] if isinstance(item, dict)]
    if isinstance(data, dict) and "errors" not in data:
        return [data]
    return []


def _patient_of(item: dict) -> Any:
    patient = item.get("patient")
    if isinstance(patient, dict):
        return patient.get("id")
    return item.get("patient_id") or patient


class AuditedMixin:
    """Audit each response of the actions named in `audit_actions` ({view action: name})."""

    audit_actions: dict[str, str] = {}
    audit_object_type: str = ""

    def finalize_response(self, request: Request, response: Response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not getattr(response, "audited", False):
            self.audit_in_transaction(request, response)
        return response

    def audit_in_transaction(self, request: Request, response: Response) -> None:
        """Record this response now. A write that calls this inside its own transaction (see
        clinic.idempotency) stores its record with the change, and it is not recorded again
        when the response is finalized."""
        action = self.audit_actions.get(getattr(self, "action", None) or request.method.lower())
        if action is None:
            return
        object_ids, patient_ids = self.audit_objects(request, response)
        pk = self.kwargs.get("pk") if hasattr(self, "kwargs") else None
        if pk is not None and str(pk) not in {str(i) for i in object_ids}:
            object_ids.insert(0, pk)
        patient_ids.extend(self.audit_extra_patients(request, response))
        record(
            request=request,
            action=action,
            status_code=response.status_code,
            object_type=self.audit_object_type,
            object_ids=object_ids,
            patient_ids=patient_ids,
            **self.audit_details(request, response),
        )
        response.audited = True

    def handle_exception(self, exc: Exception) -> Response:
        # DRF re-raises what its exception handler cannot answer, and finalize_response never
        # runs for it: leave the action this view would have recorded for the receiver below.
        request = self.request
        action = self.audit_actions.get(getattr(self, "action", None) or request.method.lower())
        if action is not None:
            pk = self.kwargs.get("pk") if hasattr(self, "kwargs") else None
            request._request.audit_on_error = {
                "action": action,
                "object_type": self.audit_object_type,
                "object_ids": [] if pk is None else [pk],
            }
        return super().handle_exception(exc)

    def audit_objects(self, request: Request, response: Response) -> tuple[list, list]:
        """The ids of the objects a response shows, and of the patients they concern: read
        from the body's items (override for bodies of another shape)."""
        items = _items(getattr(response, "data", None))
        return [item["id"] for item in items if "id" in item], [_patient_of(i) for i in items]

    def audit_details(self, request: Request, response: Response) -> dict[str, Any]:
        """More `record` keywords for this response, such as a failed sign-in's actor."""
        return {}

    def audit_extra_patients(self, request: Request, response: Response) -> list:
        """Patients a response concerns that its body does not name (override if needed)."""
        return []


def _caller_of(request: HttpRequest) -> Any:
    """Who made a request that crashed: the API's Caller (DRF sets it on the request), or the
    person signed in to the admin."""
    user = getattr(request, "user", None)
    if isinstance(user, Caller):
        return user
    staff = getattr(request, "_staff_caller", None)  # the admin looked them up already
    if staff is not None:
        return staff
    if user is not None and user.is_authenticated:
        return StaffCaller.for_user(user)
    return None


def _record_failed_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django sends got_request_exception for every request that ends in an unhandled
    exception, once, after the view and any transaction it opened have unwound. The record
    names the action the view would have recorded (`audit_on_error`), else `request.error`."""
    if request is None:
        return
    details = getattr(request, "audit_on_error", None) or {"action": "request.error"}
    try:
        caller = _caller_of(request)
        # A savepoint: if the request left its transaction unusable, this fails alone.
        with transaction.atomic():
            record(request=request, status_code=500, caller=caller, **details)
    except Exception:
        # The request has failed already; recording it must not make it fail differently.
        # The log line holds the exception's type and frames, never its message, which could
        # quote a row (clinic/log_format.py).
        logger.exception("The audit record of a failed request could not be written.")


got_request_exception.connect(_record_failed_request, dispatch_uid="clinic.audit.failed_request")
