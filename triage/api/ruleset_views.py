"""Ruleset versions side by side, which one decides the caller's branch, and activating another
(issue 13): views authenticate, validate, call one service or selector, and serialize."""

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.api.negotiation import PrintablePageNegotiation
from clinic.api.schema import (
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
    list_schema,
    paper_responses,
    response_header,
)
from clinic.api.viewsets import ClinicViewSet
from clinic.callers import Caller
from clinic.models import RULESET_ROLES, Branch, StaffRole
from clinic.printable import pdf_wanted
from clinic.scoping import get_or_not_found
from triage import replays, rulesets
from triage.api import ruleset_serializers as s
from triage.api.replay_report import replay_report
from triage.api.serializers import RuleTableSerializer
from triage.engine import RULESETS, Ruleset, UnknownRuleset, ruleset
from triage.filtersets import ReplayChangeFilterSet, RulesetActivationFilterSet
from triage.models import Replay, ReplayChange, RulesetActivation

# A version as the engine numbers them (2026.1): anything else in its place is a 404.
VERSION_PATH = r"[0-9]{4}\.[0-9]{1,3}"
_VERSION = OpenApiParameter(
    "version", str, OpenApiParameter.PATH, description="A ruleset version, such as 2026.2."
)


def held(version: str) -> Ruleset:
    """The ruleset of a path's version: 404 when the engine holds none."""
    try:
        return ruleset(version)
    except UnknownRuleset:
        raise NotFound() from None


def rule_table(rules: Ruleset) -> dict[str, Any]:
    return {"ruleset_version": rules.version, "rules": [rule.as_dict() for rule in rules.rules]}


def caller_branch_ids(caller: Caller, slug: str | None) -> tuple[int, ...]:
    """The branches a request is about: the one named by `?branch=` (which must be one of the
    caller's), or all of the caller's."""
    if slug is None:
        return caller.branch_ids
    branch_id = (
        Branch.objects.filter(id__in=caller.branch_ids, slug=slug)
        .values_list("id", flat=True)
        .first()
    )
    if branch_id is None:
        raise ValidationError({"branch": ["Name one of your branches."]})
    return (branch_id,)


def caller_version(*, branch_ids: tuple[int, ...], field: str) -> str:
    """The version active now in these branches; a 400 naming `field` when they run
    different ones (a caller working in several branches)."""
    versions = rulesets.versions_in_use(branch_ids=branch_ids)
    if len(versions) != 1:
        running = ", ".join(sorted(versions))
        raise ValidationError({field: [f"Your branches run different versions ({running})."]})
    return versions.pop()


def _ruleset_row(rules: Ruleset, branch: rulesets.BranchRulesets | None) -> dict[str, Any]:
    active = None if branch is None else branch.version == rules.version
    pending = None if branch is None else branch.pending
    return {
        "version": rules.version,
        "released": rules.released,
        "changes": [change.as_dict() for change in rules.changes],
        "hazards": [hazard.as_dict() for hazard in rules.hazards],
        "active": active,
        "active_since": branch.active_since if active and branch is not None else None,
        "pending": pending if pending is not None and pending.version == rules.version else None,
    }


class RulesetViewSet(ClinicViewSet):
    queryset_model = RulesetActivation
    lookup_field = "version"
    lookup_value_regex = VERSION_PATH
    pagination_class = None  # a handful of versions, every one always listed
    required_roles = {"activate": (StaffRole.Role.SAFETY_OFFICER,), "replay": RULESET_ROLES}
    audit_actions = {"activate": "ruleset.activate", "replay": "ruleset.replay"}

    @property
    def role_message(self) -> str:  # type: ignore[override]
        if self.action == "replay":
            return "Only clinicians, safety officers and clinic admins of the branch may replay."
        return "Only a safety officer of the branch may activate a ruleset version."

    @property
    def audit_object_type(self) -> str:  # type: ignore[override]
        return "replay" if self.action == "replay" else "ruleset_activation"

    def get_query_serializer_class(self):
        return s.BranchQuerySerializer if self.action == "list" else None

    def get_scoped_queryset(self):
        return rulesets.activation_list(caller=self.caller)

    @extend_schema(
        summary="Every ruleset version, and which one decides your branch's intakes",
        description="Each version the engine holds, oldest first, with its changes and hazard "
        "log; for your branch (or the one `branch` names) whether it is active, since when, "
        "and any activation of it waiting for its time.",
        responses={200: s.RulesetSerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    def list(self, request: Request) -> Response:
        query = s.BranchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        branch_ids = caller_branch_ids(self.caller, query.validated_data.get("branch"))
        branch = None
        if len(branch_ids) == 1:
            branch = rulesets.branch_rulesets(branch_ids=branch_ids)[branch_ids[0]]
        rows = [_ruleset_row(rules, branch) for rules in RULESETS.values()]
        return Response(s.RulesetSerializer(rows, many=True).data)

    @extend_schema(
        summary="One version's rule table",
        description="The rules of that version in evaluation order: id, condition in words, "
        "outcome and source.",
        parameters=[_VERSION],
        responses={200: RuleTableSerializer, **error_responses(*READ_ERRORS, 404)},
    )
    @action(detail=True, methods=["get"])
    def rules(self, request: Request, version: str) -> Response:
        return Response(rule_table(held(version)))

    @extend_schema(
        summary="Make this version your branch's active one (safety officers only)",
        description="From `effective_from` (now or later; default now). Refused with 409, "
        "each error naming what is missing, unless: `replay` is a replay of this version on "
        "your branch, done within the last 7 days, covering every intake of the last 90 days "
        "(its window starts 90 days ago or earlier and ends now or later, and no intake came "
        "in after it started); every under-triage class of its matrix has an acknowledgement "
        "with a rationale; you did not start the replay yourself (four eyes); no other "
        "activation of the branch is waiting; the version is not already active; and "
        "`effective_from` is no later than 7 days after the replay finished.",
        parameters=[_VERSION],
        request=s.ActivationInputSerializer,
        responses={201: s.ActivationSerializer, **error_responses(*WRITE_ERRORS, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="activations")
    def activate(self, request: Request, version: str) -> Response:
        held(version)
        data = s.ActivationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        activation = rulesets.ruleset_activate(
            caller=self.caller,
            version=version,
            replay_id=data.validated_data["replay"],
            acknowledgements=data.validated_data.get("acknowledgements", []),
            effective_from=data.validated_data.get("effective_from"),
        )
        context = _status_context([activation.branch_id])
        body = s.ActivationSerializer(activation, context=context).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replay this version over your branch's stored intakes",
        description="Starts a replay in the background worker and answers at once (202) with "
        "its id: every stored intake of your branch in the window (default: all, up to now) "
        "is decided again under this version, from its stored answers and the age at "
        "submission, and compared with its stored decision. Read its progress and, when "
        "`done`, its summary at `/api/v1/replays/{id}/`. Clinicians, safety officers and "
        "clinic admins of the branch.",
        parameters=[_VERSION, response_header("Location", 202)],
        request=s.ReplayInputSerializer,
        responses={202: s.ReplaySerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    @action(detail=True, methods=["post"], url_path="replays")
    def replay(self, request: Request, version: str) -> Response:
        # Imported here: triage.tasks loads the Celery application, which a web worker needs
        # only when it sends a task (see clinic/__init__.py).
        from triage.tasks import enqueue_replay

        held(version)
        data = s.ReplayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        replay = replays.replay_start(
            caller=self.caller,
            version=version,
            branch_slug=data.validated_data.get("branch"),
            submitted_after=data.validated_data.get("submitted_after"),
            submitted_before=data.validated_data.get("submitted_before"),
            enqueue=enqueue_replay,
        )
        replay.refresh_from_db()  # (an eager worker, as in tests, may have run it already)
        headers = {"Location": reverse("replay-detail", args=[replay.id])}
        body = s.ReplaySerializer(replay).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


def _status_context(branch_ids: tuple[int, ...] | list[int]) -> dict[str, Any]:
    """What ActivationSerializer needs to tell active from pending and superseded."""
    now = timezone.now()
    branches = rulesets.branch_rulesets(branch_ids=branch_ids, now=now).values()
    return {"now": now, "active_ids": {b.active.id for b in branches if b.active is not None}}


@extend_schema_view(
    list=list_schema(
        "Your branches' ruleset activations, latest first",
        s.ActivationSerializer,
        "Clinicians, safety officers and clinic admins: which version each branch runs, from "
        "when, who activated it and what they acknowledged; `status` tells the active one from "
        "pending and superseded ones.",
    )
)
class RulesetActivationViewSet(ClinicViewSet, mixins.ListModelMixin):
    serializer_class = s.ActivationSerializer
    queryset_model = RulesetActivation
    filterset_class = RulesetActivationFilterSet
    required_roles = {"*": RULESET_ROLES}
    role_message = (
        "Only clinicians, safety officers and clinic admins of the branch may read activations."
    )

    def get_scoped_queryset(self):
        return rulesets.activation_list(caller=self.caller)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        return {**context, **_status_context(self.caller.branch_ids_as(RULESET_ROLES))}


_REPLAY_READERS = (
    "Only clinicians, safety officers and clinic admins of the branch may read replays."
)


class ReplayViewSet(ClinicViewSet, mixins.RetrieveModelMixin):
    serializer_class = s.ReplaySerializer
    queryset_model = Replay
    required_roles = {"*": RULESET_ROLES}
    role_message = _REPLAY_READERS
    filterset_class = None

    def get_scoped_queryset(self):
        return replays.replay_list(caller=self.caller)

    @extend_schema(
        summary="A replay: its status, progress and, when done, its summary",
        description="`status` is `running`, `done` or `failed`; `summary` is set only when "
        "done (a replay never shows the counts of a part of its window as its result).",
        responses={200: s.ReplaySerializer, **error_responses(*READ_ERRORS, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="The replay's report, as a printable page or a PDF",
        description="The summary, the matrix, the change classes, and the candidate version's "
        "changes and hazard log: the page a safety officer files in the safety case. "
        "`Accept: application/pdf` for the PDF; 503 when this server lacks WeasyPrint's "
        "system libraries.",
        responses=paper_responses(),
    )
    @action(
        detail=True,
        methods=["get"],
        content_negotiation_class=PrintablePageNegotiation,
    )
    def report(self, request: Request, pk: Any = None) -> HttpResponse:
        replay = self.get_object()  # a 404 comes before a 503
        return replay_report(replay, pdf=pdf_wanted(request))


@extend_schema(
    parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                 description="The replay's id.")],
)  # fmt: skip
@extend_schema_view(
    list=extend_schema(
        summary="The intakes whose decision a replay changes",
        description="Each with its stored decision (`from`) and the candidate's (`to`), the "
        "rules the candidate adds and removes, and its `kind`: `under_triage` (a lower "
        "disposition-then-urgency), `over_triage` (higher) or `service_only` (same "
        "disposition and urgency, another service or imaging). Filter by `kind`. Empty until "
        "the replay is done.",
        responses={200: s.ReplayChangeSerializer(many=True), **error_responses(*READ_ERRORS, 404)},
    )
)
class ReplayChangeViewSet(ClinicViewSet, mixins.ListModelMixin):
    serializer_class = s.ReplayChangeSerializer
    queryset_model = ReplayChange
    filterset_class = ReplayChangeFilterSet
    required_roles = {"*": RULESET_ROLES}
    role_message = _REPLAY_READERS

    def get_scoped_queryset(self):
        replay = get_or_not_found(replays.replay_list(caller=self.caller), pk=self.kwargs["id"])
        return replays.replay_changes(replay=replay)
