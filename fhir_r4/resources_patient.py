"""The minimal patient: the branch's reference for them, their birth date and gender, as an
intake holds them (the REST API's `sex` is FHIR's administrative gender, code for code)."""

from typing import Any

from fhir_r4.resources_base import validated
from triage.models import Patient


def patient_resource(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [{"value": patient.external_id}],
        "gender": patient.sex,
    }
    if patient.date_of_birth is not None:  # None once the patient is redacted
        resource["birthDate"] = patient.date_of_birth
    return validated(resource)
