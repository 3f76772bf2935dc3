"""Recording every read and write of patient data, and every refused attempt.

Views opt in with `AuditedMixin`, naming an audit action per view action; the record is
written once the response is known, so it carries the outcome.
"""

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.callers import KeyCaller, StaffCaller
from clinic.models import AuditEvent, AuditPatient


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


def record(
    *,
    request: Request,
    action: str,
    status_code: int,
    object_type: str = "",
    object_ids: Iterable[Any] = (),
    patient_ids: Iterable[Any] = (),
    branch_id: int | None = None,
    caller: Any = None,
) -> AuditEvent:
    """One audit record. `caller` defaults to the request's user, which in the API is the
    authenticated Caller; admin pages pass the StaffCaller themselves."""
    event = AuditEvent.objects.create(
        at=timezone.now(),
        action=action,
        object_type=object_type,
        object_ids=[str(i) for i in object_ids],
        request_id=getattr(request, "request_id", "-"),
        status_code=status_code,
        outcome=_outcome(status_code),
        **_who(caller if caller is not None else getattr(request, "user", None), branch_id),
    )
    unique_patients = {str(p) for p in patient_ids if p}
    AuditPatient.objects.bulk_create(
        AuditPatient(event=event, patient_id=p) for p in sorted(unique_patients)
    )
    return event


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
        action = self.audit_actions.get(getattr(self, "action", None) or request.method.lower())
        if action is None:
            return response
        data = getattr(response, "data", None)
        items = _items(data)
        object_ids = [item["id"] for item in items if "id" in item]
        patient_ids = [_patient_of(item) for item in items]
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
        )
        return response

    def audit_extra_patients(self, request: Request, response: Response) -> list:
        """Patients a response concerns that its body does not name (override if needed)."""
        return []
