"""Ruleset versions side by side, and which one decides the caller's branch (issue 13): views
authenticate, validate, call one service or selector, and serialize."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.api.schema import READ_ERRORS, error_responses
from clinic.api.viewsets import ClinicViewSet
from clinic.callers import Caller
from clinic.models import Branch
from triage import rulesets
from triage.api import ruleset_serializers as s
from triage.api.serializers import RuleTableSerializer
from triage.engine import RULESETS, Ruleset, UnknownRuleset, ruleset
from triage.models import RulesetActivation

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


@extend_schema(tags=["rulesets"])
class RulesetViewSet(ClinicViewSet):
    queryset_model = RulesetActivation
    lookup_field = "version"
    lookup_value_regex = VERSION_PATH

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
