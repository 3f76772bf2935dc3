"""The FHIR interface as an OpenAPI document, for schemathesis to fuzz.

The service publishes no OpenAPI for /fhir/R4/ (the CapabilityStatement describes it, and the
REST API's schema stays as it is), so this one is written here: every operation with its
parameters, its body as far as JSON Schema can say it (a JSON object naming its
resourceType), and every status it documents, each answered with `application/fhir+json`. The
fuzzer then checks no 500, only these statuses and content types, and (tests/fuzz/
test_fhir_fuzz.py) that every body is a valid R4B resource of the expected type.
"""

from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

from clinic.idempotency import VALID_IDEMPOTENCY_KEY
from clinic.wsgi import application
from tests.engine.builders import baseline_answers
from tests.fhir.helpers import FHIR_JSON, questionnaire_response
from tests.fuzz import world as w
from tests.fuzz.api_schema import CURRENT, FUZZ_EXAMPLES, FUZZ_SEED

R4 = "/fhir/R4"
UUID = {"type": "string", "format": "uuid"}
RESOURCE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}
READ = (400, 401, 406, 429)


def _responses(success: int, *errors: int) -> dict[str, Any]:
    body = {"content": {FHIR_JSON: {"schema": RESOURCE}}}
    answers = {str(success): {"description": "the resource", **body}}
    answers.update({str(code): {"description": "an OperationOutcome", **body} for code in errors})
    return answers


def _read(summary: str, *, path_id: bool = True, errors=READ) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{"ApiKeyAuth": []}],
        "responses": _responses(200, *errors, *((404,) if path_id else ())),
    }
    if path_id:
        operation["parameters"] = [{"name": "id", "in": "path", "required": True, "schema": UUID}]
    return {"get": operation}


PATHS: dict[str, Any] = {
    f"{R4}/metadata": {"get": {"summary": "CapabilityStatement", "security": [],
                                "responses": _responses(200, 400, 406, 429)}},
    f"{R4}/Questionnaire/back-pain-intake": _read("Questionnaire", path_id=False),
    f"{R4}/QuestionnaireResponse": {
        "post": {
            "summary": "Store an intake",
            "security": [{"ApiKeyAuth": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string",
                                       "pattern": VALID_IDEMPOTENCY_KEY.pattern}}],
            "requestBody": {
                "required": True,
                "content": {FHIR_JSON: {"schema": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {"resourceType": {"enum": ["QuestionnaireResponse"]}},
                }}},
            },
            "responses": _responses(201, 400, 401, 403, 406, 409, 413, 415, 422, 429),
        }
    },
    f"{R4}/QuestionnaireResponse/{{id}}": _read("QuestionnaireResponse"),
    f"{R4}/RiskAssessment/{{id}}": _read("RiskAssessment"),
    f"{R4}/CarePlan/{{id}}": _read("CarePlan"),
    f"{R4}/ServiceRequest/{{id}}": _read("ServiceRequest"),
    f"{R4}/Patient/{{id}}": _read("Patient"),
    f"{R4}/ServiceRequest": {
        "get": {
            **_read("search ServiceRequest", path_id=False)["get"],
            "parameters": [{"name": "subject", "in": "query", "required": True,
                            "schema": {"type": "string",
                                       "pattern": "^Patient/[0-9a-f]{8}(-[0-9a-f]{4}){3}"
                                                  "-[0-9a-f]{12}$"}}],
        }
    },
    f"{R4}/CodeSystem": {
        "get": {
            **_read("search CodeSystem", path_id=False)["get"],
            "parameters": [{"name": "url", "in": "query", "required": False,
                            "schema": {"type": "string", "minLength": 1}}],
        }
    },
    f"{R4}/CodeSystem/{{id}}": {
        "get": {
            **_read("CodeSystem", path_id=False)["get"],
            "responses": _responses(200, *READ, 404),
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"}}],
        }
    },
}  # fmt: skip

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "FHIR R4 interface (for fuzzing)", "version": "1"},
    "paths": PATHS,
    "components": {
        "securitySchemes": {"ApiKeyAuth": {"type": "apiKey", "in": "header",
                                           "name": "Authorization"}}
    },
}  # fmt: skip

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": FUZZ_SEED,
        "checks": {
            "enabled": True,
            # A JSON Schema cannot say which QuestionnaireResponses are valid (that takes the
            # questionnaire and the clinical rules), so schema-valid bodies are mostly refused.
            "positive_data_acceptance": {"enabled": False},
        },
        "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
schema.app = application


@schema.auth(refresh_interval=None)
class Credentials:
    """A reception system's key: it may call every operation."""

    def get(self, case, context):
        return f"Api-Key {w.API_KEY}" if case.operation.definition.raw.get("security") else None

    def set(self, case, data, context):
        if data is not None:
            case.headers["Authorization"] = data


def _existing(world: w.World, path: str) -> list[str]:
    if path.endswith(("QuestionnaireResponse/{id}", "RiskAssessment/{id}", "CarePlan/{id}")):
        return world.intake_ids
    if path.endswith("ServiceRequest/{id}"):
        return world.referral_ids
    if path.endswith("Patient/{id}"):
        return world.patient_ids
    return []


@schema.hook
def flatmap_case(context, case):
    """Aim at what exists (seeded intakes, referrals and patients as ids and search subjects),
    and sometimes send a valid QuestionnaireResponse, so the fuzzer reaches the code behind
    the validation."""
    world = CURRENT.get("world")
    meta = case.meta
    if world is None or meta is None:
        return st.just(case)
    existing = _existing(world, case.operation.path)
    if existing and not meta.is_negative_at(ParameterLocation.PATH):
        return st.sampled_from([None, *existing]).map(
            lambda value: _with(case, path_parameters={"id": value}) if value else case
        )
    if case.operation.path.endswith("/ServiceRequest") and not meta.is_negative_at(
        ParameterLocation.QUERY
    ):
        subjects = [f"Patient/{value}" for value in world.patient_ids]
        return st.sampled_from([None, *subjects]).map(
            lambda value: _with(case, query={"subject": value}) if value else case
        )
    if case.operation.method.lower() == "post" and not meta.is_negative_at(ParameterLocation.BODY):
        return st.booleans().map(
            lambda valid: _with(case, body=_valid_response()) if valid else case
        )
    return st.just(case)


def _with(case, **parts):
    """The case with some parts replaced: the body whole, parameters one by one."""
    for name, value in parts.items():
        if name == "body":
            case.body = value
        else:
            setattr(case, name, {**(getattr(case, name) or {}), **value})
    return case


def _valid_response() -> dict[str, Any]:
    from fhir_r4.resources_questionnaire import questionnaire_resource

    answers = baseline_answers()
    return questionnaire_response(questionnaire_resource(), answers, external_id="FUZZ-FHIR")
