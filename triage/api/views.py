"""Views authenticate, validate, call one service or selector, and serialize."""

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api import paths
from clinic.api.negotiation import PrintablePageNegotiation
from clinic.api.print_links import (
    LINK_CREATE_RESPONSES,
    PrintLinkInputSerializer,
    PrintLinkOpenView,
    print_link_create_response,
)
from clinic.api.query import StrictQueryMixin
from clinic.api.schema import (
    IDEMPOTENCY_KEY,
    IDEMPOTENT_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
    list_schema,
    paper_responses,
    response_header,
)
from clinic.api.viewsets import ClinicViewSet
from clinic.audit import AuditedMixin
from clinic.idempotency import idempotent
from clinic.models import CLINICAL_ROLES, PrintLink
from clinic.printable import pdf_wanted, printable
from triage import rulesets, selectors, services
from triage.api import serializers as s
from triage.api.examples import intake_examples
from triage.api.ruleset_serializers import BranchQuerySerializer, RulesetQuerySerializer
from triage.api.ruleset_views import caller_branch_ids, caller_version, rule_table
from triage.decisions import (
    SERVICE_WORDS,
    care_plan_advice,
    care_plan_watch_for,
    final_decision,
)
from triage.engine import ruleset
from triage.filtersets import IntakeFilterSet
from triage.models import Assessment, Intake, Patient, Review
from triage.questionnaire import questionnaire


class QuestionnaireView(StrictQueryMixin, APIView):
    @extend_schema(
        summary="The intake questionnaire",
        description="Every item with its type, allowed values and patient-facing words, so a "
        "reception system can render the form without hard-coding it. `ruleset_version` is the "
        "version your branch's intakes are decided under now (null if you work in several "
        "branches that run different ones).",
        responses={200: s.QuestionnaireSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        versions = rulesets.versions_in_use(branch_ids=request.user.branch_ids)
        version = versions.pop() if len(versions) == 1 else None
        return Response({**questionnaire(), "ruleset_version": version})


class RuleTableView(StrictQueryMixin, APIView):
    query_serializer_class = BranchQuerySerializer

    @extend_schema(
        summary="The rule table your branch runs",
        description="The rules of your branch's active ruleset version (or that of the branch "
        "`branch` names), in evaluation order: id, condition in words, outcome and source. "
        "Served from the engine's own data; any version's table is at "
        "`/api/v1/rulesets/{version}/rules/`.",
        responses={200: s.RuleTableSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        query = BranchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        branch_ids = caller_branch_ids(request.user, query.validated_data.get("branch"))
        version = caller_version(branch_ids=branch_ids, field="branch")
        return Response(rule_table(ruleset(version)))


class EvaluateView(StrictQueryMixin, AuditedMixin, APIView):
    audit_actions = {"post": "triage.evaluate"}
    query_serializer_class = RulesetQuerySerializer

    @extend_schema(
        summary="Preview a decision without storing anything",
        description="Under your branch's active ruleset version, or under any version the "
        "engine holds with `?ruleset=` (what-if).",
        request=s.EvaluateInputSerializer,
        responses={200: s.DecisionSerializer, **error_responses(*WRITE_ERRORS)},
        examples=intake_examples(response_code=200, stored=False),
    )
    def post(self, request: Request) -> Response:
        query = RulesetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = s.EvaluateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = query.validated_data.get("ruleset") or caller_version(
            branch_ids=request.user.branch_ids, field="ruleset"
        )
        decision = services.triage_evaluate(
            date_of_birth=data.validated_data["patient"]["date_of_birth"],
            answers=data.validated_data["answers"],
            ruleset=version,
        )
        return Response(decision.as_dict())


@extend_schema_view(
    list=list_schema(
        "List intakes, newest first",
        s.IntakeSerializer,
        "The intakes of your branches with their decisions, filtered by the query parameters "
        "below. `answers` only for clinicians and clinic admins.",
    ),
    retrieve=extend_schema(
        summary="One intake with its decision",
        description="The stored decision (`assessment`), the latest clinician `review` if any, "
        "and the `referral` it opened. `answers` only for clinicians and clinic admins.",
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Intake id"
            )
        ],
        responses={200: s.IntakeSerializer, **error_responses(*READ_ERRORS, 404)},
    ),
)
class IntakeViewSet(ClinicViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.IntakeSerializer
    filterset_class = IntakeFilterSet
    queryset_model = Intake
    # In the intake's own branch, checked once it is found (404 outside the caller's branches)
    # and before the body is read.
    object_roles = {"review": CLINICAL_ROLES}
    role_message = "Only a clinician of this branch may do this."
    lookup_value_regex = paths.UUID
    audit_object_type = "intake"
    audit_actions = {
        "list": "intake.list",
        "retrieve": "intake.read",
        "create": "intake.create",
        "review": "intake.review",
        "care_plan": "care_plan.read",
        "care_plan_print": "care_plan.print",
        "care_plan_links": "care_plan.link_create",
    }

    def audit_extra_patients(self, request: Request, response) -> list:
        if response.status_code >= 400 or self.action not in (
            "review",
            "care_plan",
            "care_plan_print",
            "care_plan_links",
        ):
            return []
        intake = Intake.objects.filter(pk=self.kwargs["pk"])
        return list(intake.values_list("patient_id", flat=True))

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "caller": self.caller}

    def get_scoped_queryset(self):
        if self.action == "list":
            columns = s.IntakeListItems.referral_columns()
            return selectors.intake_list(caller=self.caller, referral_columns=columns)
        return selectors.intake_detail(caller=self.caller)

    def list(self, request: Request) -> Response:
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        items = s.IntakeListItems(self.get_serializer_context())
        return self.get_paginated_response(items(rows, selectors.latest_reviews(rows)))

    @extend_schema(
        summary="Store an intake and its decision",
        description="The intake and its assessment are stored in one transaction. A new "
        "`external_id` creates the patient; a known one must match the date of birth and sex "
        "held for it (else 409).",
        request=s.IntakeInputSerializer,
        parameters=[IDEMPOTENCY_KEY, response_header("Location", 201)],
        responses={201: s.IntakeSerializer, **error_responses(*WRITE_ERRORS, *IDEMPOTENT_ERRORS)},
        examples=intake_examples(response_code=201, stored=True),
    )
    @idempotent
    def create(self, request: Request) -> Response:
        validated = s.IntakeInputSerializer.validated(request.data)
        created = services.intake_create(caller=request.user, **validated)
        context = {**self.get_serializer_context(), "created": created}
        body = s.IntakeSerializer(created.intake, context=context).data
        location = request.build_absolute_uri(f"{created.intake.id}/")
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def idempotent_replay_body(self, body: dict) -> dict:
        """A replayed intake as the caller may see it now (clinic.idempotency): still within
        their branches, and its answers only if they may see answers there today."""
        if self.action != "create":
            return body
        caller = self.caller
        branch_id = (
            Intake.objects.filter(pk=body.get("id"), branch_id__in=caller.branch_ids)
            .values_list("branch_id", flat=True)
            .first()
        )
        if branch_id is None:
            raise NotFound()
        if caller.sees_answers_in(branch_id):
            return body
        return {name: value for name, value in body.items() if name != "answers"}

    def count_source(self) -> QuerySet[Assessment] | None:
        """What the list's `count` counts: the assessments (selectors.intake_list_count_source)."""
        params = self.request.query_params
        return selectors.intake_list_count_source(caller=self.caller, params=params)

    @extend_schema(
        summary="Confirm or override the decision (clinicians only)",
        description="The assessment stays as computed; the review is its own record and the "
        "referral follows the final decision: opened, amended, or cancelled with the review's "
        "reason as its note. The rules a review keeps (400 naming each field that breaks "
        f"one): {s.REVIEW_RULES}",
        request=s.ReviewInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.ReviewSerializer,
            **error_responses(*WRITE_ERRORS, 404, *IDEMPOTENT_ERRORS),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def review(self, request: Request, pk=None) -> Response:
        intake = self.get_object()  # 404 outside the caller's branches, 403 unless clinician
        data = s.ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_create(
            caller=request.user, intake_id=intake.pk, **{"imaging": None, **data.validated_data}
        )
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The patient's self-care plan with safety-netting",
        description="Advice under the final decision. A printable page is at `print/`.",
        responses={200: s.CarePlanSerializer, **error_responses(*READ_ERRORS, 404)},
    )
    @action(detail=True, methods=["get"], url_path="care-plan")
    def care_plan(self, request: Request, pk=None) -> Response:
        return Response(_care_plan(self.get_object()))

    @extend_schema(
        summary="The care plan as a printable page, or a PDF of it",
        description="`Accept: application/pdf` for the PDF of the same page; 503 when this "
        "server lacks WeasyPrint's system libraries (the page itself still works).",
        responses=paper_responses(),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="care-plan/print",
        content_negotiation_class=PrintablePageNegotiation,
    )
    def care_plan_print(self, request: Request, pk=None) -> HttpResponse:
        intake = self.get_object()  # a 404 comes before a 503
        return care_plan_paper(intake, pdf=pdf_wanted(request))

    @extend_schema(
        summary="A signed link to the printable care plan",
        description="Opens the page (or, with `?format=pdf`, its PDF) once, without "
        "credentials, within 15 minutes. The URL carries no patient data.",
        request=PrintLinkInputSerializer,
        responses={**LINK_CREATE_RESPONSES, **error_responses(*WRITE_ERRORS, 404)},
    )
    @action(detail=True, methods=["post"], url_path="care-plan/links")
    def care_plan_links(self, request: Request, pk=None) -> Response:
        intake = self.get_object()  # whoever may read the care plan may hand it over
        purpose = PrintLink.Purpose.CARE_PLAN
        return print_link_create_response(
            request, intake, caller=self.caller, purpose=purpose, route="care-plan-link"
        )


def care_plan_paper(intake: Intake, *, pdf: bool) -> HttpResponse:
    plan = _care_plan(intake)
    context = {
        "plan": plan,
        "intake": intake,
        "branch": intake.branch,
        "service_words": SERVICE_WORDS[plan["service"]],
        "self_care": [a for a in plan["advice"] if not a["code"].startswith("safety_net")],
        "safety_net": [a for a in plan["advice"] if a["code"].startswith("safety_net")],
        "printed_at": timezone.now(),
    }
    return printable("triage/care_plan.html", context, pdf=pdf, filename="care-plan")


class CarePlanLinkView(PrintLinkOpenView):
    purpose = PrintLink.Purpose.CARE_PLAN
    audit_action = "care_plan.link_open"
    audit_object_type = "intake"

    def draw(self, link: PrintLink, *, pdf: bool) -> tuple[HttpResponse, object]:
        intake = (
            Intake.objects.select_related("patient", "assessment", "branch")
            .prefetch_related(
                Prefetch("reviews", Review.objects.order_by("-created_at"), to_attr="review_list")
            )
            .filter(pk=link.object_id, branch_id=link.branch_id)
            .first()
        )
        if intake is None:
            raise NotFound()
        return care_plan_paper(intake, pdf=pdf), intake.patient_id


def _care_plan(intake: Intake) -> dict:
    final = final_decision(intake)
    plan = {
        "intake": intake.id,
        "disposition": final.outcome.disposition,
        "urgency": final.outcome.urgency,
        "service": final.outcome.service,
        "decided_by": final.decided_by,
        "ruleset_version": intake.assessment.ruleset_version,
        "advice": [item.as_dict() for item in care_plan_advice(intake)],
    }
    watch_for = care_plan_watch_for(intake)
    if watch_for is not None:  # a version with watch_for (2026.2 on)
        plan["watch_for"] = watch_for
    return plan


class PatientHistoryViewSet(ClinicViewSet):
    serializer_class = s.PatientHistorySerializer
    queryset_model = Patient
    audit_object_type = "patient"
    audit_actions = {"retrieve": "patient.history"}

    def get_scoped_queryset(self):
        return selectors.patient_list(caller=self.caller)

    @extend_schema(
        summary="A patient's intakes, decisions, reviews and referral changes, oldest first",
        description="The patient's details and every change-feed event about them, oldest "
        "first: the same events as `/api/v1/events/`.",
        responses={200: s.PatientHistorySerializer, **error_responses(*READ_ERRORS, 404)},
    )
    def retrieve(self, request: Request, pk=None) -> Response:
        patient = self.get_object()
        events = selectors.patient_history(patient=patient)
        return Response(s.PatientHistorySerializer({"patient": patient, "events": events}).data)
