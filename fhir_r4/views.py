"""The FHIR R4 views: authenticate, read or validate, call one service or selector, and write
the resource. Credentials, throttling, branch scoping, strict query parameters and the audit
are the REST API's own; refusals are OperationOutcomes (fhir_r4.errors)."""

import re
import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.errors import flatten
from clinic.api.parsers import JSONParser
from clinic.api.query import StrictQueryMixin
from clinic.audit import AuditedMixin
from clinic.callers import Caller
from clinic.errors import Conflict, Invalid, NotFound
from clinic.idempotency import idempotent
from clinic.scoping import for_caller, get_or_not_found
from fhir_r4 import selectors
from fhir_r4.content import FhirJsonParser, FhirJsonRenderer
from fhir_r4.errors import FhirError, Issue, exception_handler
from fhir_r4.resources_base import PATH
from fhir_r4.resources_capability import capability_statement_resource
from fhir_r4.resources_decision import care_plan_resource, risk_assessment_resource
from fhir_r4.resources_patient import patient_resource
from fhir_r4.resources_questionnaire import questionnaire_resource
from fhir_r4.resources_questionnaire_response import (
    issues_for,
    parse_questionnaire_response,
    questionnaire_response_resource,
    redacted,
)
from fhir_r4.resources_referral import searchset, service_request_resource
from fhir_r4.resources_terminology import CODE_SYSTEMS
from triage import services
from triage.api.serializers import IntakeInputSerializer
from triage.decisions import care_plan_advice, final_decision, latest_referral
from triage.models import Intake

_PATIENT_REFERENCE = re.compile(r"Patient/(?P<id>[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})")


def _audited(resource: Any) -> tuple[list[str], list[str]]:
    """The ids of the resources a body shows, and of the patients they concern."""
    if not isinstance(resource, dict):
        return [], []
    if resource.get("resourceType") == "Bundle":
        ids: list[str] = []
        patients: list[str] = []
        for entry in resource.get("entry", []):
            more_ids, more_patients = _audited(entry.get("resource"))
            ids += more_ids
            patients += more_patients
        return ids, patients
    if resource.get("resourceType") in (None, "OperationOutcome") or "id" not in resource:
        return [], []
    if resource["resourceType"] == "Patient":
        return [resource["id"]], [resource["id"]]
    subject = _PATIENT_REFERENCE.fullmatch(resource.get("subject", {}).get("reference", ""))
    return [resource["id"]], [] if subject is None else [subject["id"]]


@extend_schema(exclude=True)  # FHIR's own CapabilityStatement describes these, not the OpenAPI
class FhirView(StrictQueryMixin, AuditedMixin, APIView):
    renderer_classes = [FhirJsonRenderer, JSONRenderer]
    parser_classes = [FhirJsonParser, JSONParser]
    http_method_names = ["get", "head"]

    def get_exception_handler(self):
        return exception_handler

    @property
    def caller(self) -> Caller:
        return self.request.user

    def url_of(self, resource_type: str, resource_id: Any) -> str:
        return self.request.build_absolute_uri(f"{PATH}/{resource_type}/{resource_id}")

    def audit_objects(self, request: Request, response: Response) -> tuple[list, list]:
        return _audited(getattr(response, "data", None))


class MetadataView(FhirView):
    """Open to all, as FHIR clients expect: it is how they learn what credentials to send."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        base_url = request.build_absolute_uri(PATH)
        return Response(capability_statement_resource(base_url=base_url))


class QuestionnaireView(FhirView):
    def get(self, request: Request) -> Response:
        return Response(questionnaire_resource())


class CodeSystemView(FhirView):
    def get(self, request: Request, pk: str) -> Response:
        system = CODE_SYSTEMS.get(pk)
        if system is None:
            raise NotFound()
        return Response(system.resource())


class CodeSystemSearch(serializers.Serializer):
    url = serializers.CharField(required=False)


class CodeSystemSearchView(FhirView):
    query_serializer_class = CodeSystemSearch

    def get(self, request: Request) -> Response:
        url = request.query_params.get("url")
        found = [s.resource() for s in CODE_SYSTEMS.values() if url in (None, s.url)]
        base_url = request.build_absolute_uri(PATH)
        return Response(searchset(found, self_url=request.build_absolute_uri(), base_url=base_url))


class QuestionnaireResponseCreateView(FhirView):
    http_method_names = ["post"]
    audit_actions = {"post": "intake.create"}  # exactly as POST /api/v1/intakes/
    audit_object_type = "intake"

    @idempotent
    def post(self, request: Request) -> Response:
        parsed = parse_questionnaire_response(request.data)
        data = IntakeInputSerializer(data=parsed.body)
        if not data.is_valid():
            raise FhirError(400, issues_for(flatten(data.errors), parsed))
        try:
            created = services.intake_create(caller=request.user, **data.validated_data)
        except Conflict as conflict:  # a known patient reference with other details
            raise FhirError(409, issues_for(flatten(conflict.errors), parsed, "conflict")) from None
        except Invalid as error:  # a caller of several branches: which one is it for?
            raise FhirError(
                400, [Issue("business-rule", e["message"]) for e in flatten(error.errors)]
            ) from None
        intake = created.intake
        shown = self.caller.sees_answers_in(intake.branch_id)
        body = questionnaire_response_resource(intake, with_answers=shown)
        location = self.url_of("QuestionnaireResponse", intake.id)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def idempotent_replay_body(self, body: dict) -> dict:
        """A replayed response as the caller may see it now, as the REST API replays an
        intake (triage.api.views.IntakeViewSet.idempotent_replay_body)."""
        caller = self.caller
        intake = get_or_not_found(
            for_caller(Intake.objects.only("branch"), caller), pk=body.get("id")
        )
        return body if caller.sees_answers_in(intake.branch_id) else redacted(body)


class QuestionnaireResponseView(FhirView):
    audit_actions = {"get": "fhir.questionnaire_response.read"}
    audit_object_type = "intake"

    def get(self, request: Request, pk: str) -> Response:
        intake = get_or_not_found(selectors.intakes(caller=self.caller), pk=pk)
        shown = self.caller.sees_answers_in(intake.branch_id)
        return Response(questionnaire_response_resource(intake, with_answers=shown))


class RiskAssessmentView(FhirView):
    audit_actions = {"get": "fhir.risk_assessment.read"}
    audit_object_type = "intake"

    def get(self, request: Request, pk: str) -> Response:
        intake = get_or_not_found(selectors.intakes(caller=self.caller, answers=False), pk=pk)
        return Response(risk_assessment_resource(intake))


class CarePlanView(FhirView):
    audit_actions = {"get": "fhir.care_plan.read"}
    audit_object_type = "intake"

    def get(self, request: Request, pk: str) -> Response:
        intake = get_or_not_found(selectors.intakes_with_decisions(caller=self.caller), pk=pk)
        plan = care_plan_resource(
            intake, final_decision(intake), care_plan_advice(intake), latest_referral(intake)
        )
        return Response(plan)


class ServiceRequestView(FhirView):
    audit_actions = {"get": "fhir.service_request.read"}
    audit_object_type = "referral"

    def get(self, request: Request, pk: str) -> Response:
        referral = get_or_not_found(selectors.referrals(caller=self.caller), pk=pk)
        return Response(service_request_resource(referral))


class ServiceRequestSearch(serializers.Serializer):
    subject = serializers.CharField(help_text="`Patient/<id>`")


class ServiceRequestSearchView(FhirView):
    """A patient's referrals. Another branch's patient, like one that does not exist, has
    none: a search finds nothing rather than answering 404."""

    query_serializer_class = ServiceRequestSearch
    audit_actions = {"get": "fhir.service_request.search"}
    audit_object_type = "referral"

    def get(self, request: Request) -> Response:
        subject = request.query_params.get("subject")
        if subject is None:
            raise FhirError(400, [Issue("required", "Search by `subject=Patient/<id>`.",
                                        location="http.subject")])  # fmt: skip
        match = _PATIENT_REFERENCE.fullmatch(subject)
        if match is None:
            raise FhirError(400, [Issue("invalid", "Must be `Patient/` and a patient's id.",
                                        location="http.subject")])  # fmt: skip
        found = selectors.referrals(caller=self.caller).filter(patient_id=uuid.UUID(match["id"]))
        resources = [service_request_resource(referral) for referral in found]
        base_url = request.build_absolute_uri(PATH)
        return Response(searchset(resources, self_url=request.build_absolute_uri(),
                                  base_url=base_url))  # fmt: skip


class PatientView(FhirView):
    audit_actions = {"get": "fhir.patient.read"}
    audit_object_type = "patient"

    def get(self, request: Request, pk: str) -> Response:
        return Response(patient_resource(get_or_not_found(selectors.patients(caller=self.caller),
                                                          pk=pk)))  # fmt: skip


class NotFoundView(FhirView):
    """Every other path under /fhir/: an OperationOutcome, not the REST API's 404 body."""

    http_method_names = ["get", "head", "post", "put", "patch", "delete"]

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound()

    get = post = put = patch = delete = _not_found
