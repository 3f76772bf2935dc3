"""The CapabilityStatement: what the FHIR interface serves, and the code systems it uses."""

from typing import Any

from fhir_r4.resources_base import FHIR_VERSION, validated
from fhir_r4.resources_questionnaire import QUESTIONNAIRE_URL
from fhir_r4.resources_terminology import CANONICAL_BASE, CODE_SYSTEMS, PUBLISHER

# When this statement last changed: update it with what it lists.
CHANGED = "2026-12-01"
SECURITY = (
    "The REST API's credentials: `Authorization: Api-Key <key>` for a reception system (one "
    "clinic branch), `Authorization: Token <token>` or the admin's session for staff. Every "
    "read is limited to the caller's branches (another branch's resource is 404), and the "
    "answers of a QuestionnaireResponse are shown only to clinicians and clinic admins."
)


def _read(resource_type: str, documentation: str, **more: Any) -> dict[str, Any]:
    interactions = [{"code": "read"}, *({"code": code} for code in more.pop("also", ()))]
    return {"type": resource_type, "documentation": documentation,
            "interaction": interactions, **more}  # fmt: skip


def _code_systems() -> str:
    lines = []
    for system in CODE_SYSTEMS.values():
        version = f" version {system.version}" if system.version else ""
        lines.append(f"- `{system.url}`{version} (`CodeSystem/{system.id}`): {system.title}")
    return "Our own code systems, each served here:\n\n" + "\n".join(lines)


def capability_statement_resource(*, base_url: str) -> dict[str, Any]:
    resources = [
        _read("Questionnaire", f"`Questionnaire/back-pain-intake`: {QUESTIONNAIRE_URL}."),
        _read(
            "QuestionnaireResponse",
            "POST a completed response to the intake questionnaire, the patient a contained "
            "Patient referenced as `subject`, to store an intake (as POST /api/v1/intakes/: "
            "same validation, `Idempotency-Key`, scoping and audit); `201` with `Location` and "
            "the stored response, whose id is the intake's. Read it back by that id.",
            also=["create"],
        ),
        _read("RiskAssessment", "The triage decision on an intake (the intake's id)."),
        _read(
            "ServiceRequest",
            "A referral (the referral's id); search a patient's referrals with "
            "`subject=Patient/<id>`.",
            also=["search-type"],
            searchParam=[
                {
                    "name": "subject",
                    "type": "reference",
                    "documentation": "`Patient/<id>`: that patient's referrals.",
                }
            ],
        ),
        _read("CarePlan", "The advice on an intake, safety-netting included (the intake's id)."),
        _read("Patient", "The minimal patient: identifier, birth date and gender."),
        _read(
            "CodeSystem",
            _code_systems(),
            also=["search-type"],
            searchParam=[
                {"name": "url", "type": "uri", "documentation": "A code system's canonical URL."}
            ],
        ),
    ]
    return validated(
        {
            "resourceType": "CapabilityStatement",
            "id": "clinic-triage",
            "url": f"{CANONICAL_BASE}/CapabilityStatement/clinic-triage",
            "name": "ClinicTriage",
            "title": "Back-pain triage: FHIR R4 interface",
            "status": "active",
            "date": CHANGED,
            "publisher": PUBLISHER,
            "kind": "instance",
            "implementation": {"description": "Back-pain triage", "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "application/json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": _code_systems(),
                    "security": {"description": SECURITY},
                    "resource": resources,
                }
            ],
        }
    )
