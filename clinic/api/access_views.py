"""Credentials: staff API tokens, and the branch API keys clinic admins manage."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from knox.models import AuthToken
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import services, sign_in_guard
from clinic.api import paths
from clinic.api.access_serializers import (
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    GrantedStaffRoleSerializer,
    IssuedApiKeySerializer,
    StaffRoleGrantSerializer,
    StaffRoleSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from clinic.api.query import StrictQueryMixin
from clinic.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses, list_schema
from clinic.api.viewsets import ClinicViewSet
from clinic.audit import AuditedMixin, sign_in_attempt
from clinic.callers import StaffCaller
from clinic.models import ADMIN_ROLES, ApiKey, Branch, StaffRole
from clinic.scoping import for_caller_as


class StaffTokenView(StrictQueryMixin, AuditedMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    audit_actions = {"post": "auth.token"}

    @extend_schema(
        summary="Get an API token for a staff member (shown once; expires)",
        description="For staff using the API outside the admin: send the token as "
        "`Authorization: Token <token>` until `expiry`. A wrong user name or password is a "
        "400 naming `password`; repeated failures for an account or from an address are "
        "refused for a while (429 with `Retry-After`).",
        request=TokenRequestSerializer,
        responses={201: TokenSerializer, **error_responses(400, 413, 415, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        self.sign_in_refused = username  # until the password is right (see audit_details)
        wait = sign_in_guard.locked_for(request, username)
        if wait:
            # Refused before the password is checked, so guessing on teaches nothing.
            message = "Too many failed sign-ins for this account or from this address."
            raise exceptions.Throttled(wait, detail=message)
        user = authenticate(request, **data.validated_data)
        if user is None or not user.is_staff:
            sign_in_guard.record_failure(request, username)
            raise ValidationError({"password": ["Wrong user name or password."]})
        sign_in_guard.record_success(request, username)
        self.sign_in_refused = None
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry}, status=201)

    def audit_details(self, request: Request, response: Response) -> dict:
        # A wrong password is a refused attempt (400 all the same), recorded under the name
        # tried, in that account's branch, for its clinic admins to see.
        refused = getattr(self, "sign_in_refused", None)
        return {} if refused is None else sign_in_attempt(refused)


class CurrentTokenView(StrictQueryMixin, AuditedMixin, APIView):
    audit_actions = {"delete": "auth.token_revoke"}

    @extend_schema(
        summary="Revoke the token this request is made with",
        description="Only with `Authorization: Token <token>`: a reception key or a browser "
        "session has no token to revoke here (403). Clinic admins revoke reception keys with "
        "`POST /api/v1/api-keys/{prefix}/revoke/`.",
        responses={204: None, **error_responses(*READ_ERRORS)},
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, AuthToken):
            # A reception key or a browser session has no token to revoke: saying 204 would
            # let the caller believe something was revoked.
            raise PermissionDenied(
                "Only a staff token can be revoked here; send it as `Authorization: Token "
                "<token>`. A clinic admin revokes reception keys under /api/v1/api-keys/."
            )
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


F = TypeVar("F", bound=Callable[..., Any])
_PREFIX = OpenApiParameter("prefix", str, OpenApiParameter.PATH, description="The key's prefix")


def _key_action(summary: str, description: str, responses: dict[int, Any]) -> Callable[[F], F]:
    """A POST on one key, with no body: its route and its schema."""

    def route(method: F) -> F:
        routed = action(detail=True, methods=["post"])(method)
        return extend_schema(
            summary=summary,
            description=description,
            parameters=[_PREFIX],
            request=None,
            responses={**responses, **error_responses(*READ_ERRORS, 404)},
        )(routed)

    return route


def _issued(api_key: ApiKey, key: str) -> dict:
    return {**ApiKeySerializer(api_key).data, "key": key}


@extend_schema_view(
    list=list_schema(
        "The reception keys of your branches",
        ApiKeySerializer,
        "Clinic admins only. Each key's prefix, name, branch, expiry and whether it is revoked "
        "or a test key; never the key itself, which is shown once when issued.",
    )
)
class ApiKeyViewSet(ClinicViewSet, mixins.ListModelMixin):
    """Clinic admins list, issue, revoke and rotate their branches' reception keys."""

    serializer_class = ApiKeySerializer
    queryset_model = ApiKey
    required_roles = {"*": ADMIN_ROLES}
    role_message = "Only a clinic admin may manage API keys."
    lookup_field = "prefix"
    lookup_value_regex = paths.KEY_PREFIX
    audit_object_type = "api_key"
    audit_actions = {"list": "api_key.list", "create": "api_key.issue",
                     "revoke": "api_key.revoke", "rotate": "api_key.rotate"}  # fmt: skip

    def get_scoped_queryset(self):
        keys = ApiKey.objects.select_related("branch").order_by("-created")
        return for_caller_as(keys, self.caller, ADMIN_ROLES)

    @extend_schema(
        summary="Issue a reception key (the plain key is shown once)",
        description="Clinic admins only, for a branch they administer (`branch`, needed if "
        "they administer several). Store the `key` now: it is never shown again. Send it as "
        "`Authorization: Api-Key <key>`. With `test: true`, a test key: its intakes are "
        "marked `test` and left out of the clinic's figures and worklist.",
        request=ApiKeyCreateSerializer,
        responses={201: IssuedApiKeySerializer, **error_responses(*WRITE_ERRORS)},
    )
    def create(self, request: Request) -> Response:
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        administered = self.caller.branch_ids_as(ADMIN_ROLES)
        slug = data.validated_data.get("branch")
        branches = Branch.objects.filter(id__in=administered)
        if slug is not None:
            branches = branches.filter(slug=slug)
        if branches.count() != 1:
            raise ValidationError({"branch": ["Name one of the branches you administer."]})
        api_key, key = services.api_key_issue(
            branch=branches.get(),
            name=data.validated_data["name"],
            expiry_date=data.validated_data.get("expiry_date"),
            test=data.validated_data["test"],
        )
        return Response(_issued(api_key, key), status=status.HTTP_201_CREATED)

    @_key_action(
        "Revoke a key at once",
        "Clinic admins only. Requests with the key are refused (401) from now on.",
        {200: ApiKeySerializer},
    )
    def revoke(self, request: Request, prefix=None) -> Response:
        api_key = services.api_key_revoke(api_key=self.get_object())
        return Response(ApiKeySerializer(api_key).data)

    @_key_action(
        "Replace a key: the old one stops working, the new one is shown once",
        "Clinic admins only. The new key has the old one's name, branch and expiry; store "
        "it now, as it is never shown again.",
        {201: IssuedApiKeySerializer},
    )
    def rotate(self, request: Request, prefix=None) -> Response:
        old = get_object_or_404(self.get_queryset().filter(revoked=False), prefix=prefix)
        api_key, key = services.api_key_rotate(api_key=old)
        return Response(_issued(api_key, key), status=status.HTTP_201_CREATED)


_USERNAME_UNAVAILABLE = (
    "This user name cannot be given a role here; choose another name for a new account."
)


def _administered_branch(caller: StaffCaller, slug: str | None) -> Branch:
    branches = Branch.objects.filter(id__in=caller.branch_ids_as(ADMIN_ROLES))
    if slug is not None:
        branches = branches.filter(slug=slug)
    if branches.count() != 1:
        raise ValidationError({"branch": ["Name one of the branches you administer."]})
    return branches.get()


@extend_schema_view(
    list=list_schema(
        "The people with a role in your branches",
        StaffRoleSerializer,
        "Clinic admins only: each role's `id` (to end it), the person's user name, the branch "
        "and the role.",
    )
)
class StaffRoleViewSet(ClinicViewSet, mixins.ListModelMixin, mixins.DestroyModelMixin):
    """Clinic admins give people roles in their branches, and take them away."""

    serializer_class = StaffRoleSerializer
    queryset_model = StaffRole
    required_roles = {"*": ADMIN_ROLES}
    role_message = "Only a clinic admin may manage API keys."  # sic: the message it has always had
    lookup_value_regex = paths.WHOLE_NUMBER
    audit_object_type = "staff_role"
    audit_actions = {"list": "staff.list", "create": "staff.grant", "destroy": "staff.remove"}

    def get_scoped_queryset(self):
        roles = StaffRole.objects.select_related("user", "branch").order_by("branch", "user")
        return for_caller_as(roles, self.caller, ADMIN_ROLES)

    @extend_schema(
        summary="Give a person a role in a branch (creating their own account if needed)",
        description="A new user name creates the person's own account; its one-time password "
        "is in the answer. An existing account may be given a role only if it holds no role "
        "outside the branches you administer and is not an operator's (superuser) account: "
        "any other is refused with `username` / `unavailable`, the same answer whoever holds "
        "the name.",
        request=StaffRoleGrantSerializer,
        responses={201: GrantedStaffRoleSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def create(self, request: Request) -> Response:
        data = StaffRoleGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        branch = _administered_branch(self.caller, data.validated_data.get("branch"))
        try:
            staff_role, password = services.staff_role_grant(
                branch=branch,
                username=data.validated_data["username"],
                role=data.validated_data["role"],
                administered=self.caller.branch_ids_as(ADMIN_ROLES),
            )
        except services.UsernameUnavailable:
            raise ValidationError(
                {"username": [ErrorDetail(_USERNAME_UNAVAILABLE, "unavailable")]}
            ) from None
        body = {**StaffRoleSerializer(staff_role).data, "password": password}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a person's role in a branch",
        description="Clinic admins only. The person keeps their account; they lose what the "
        "role gave them in that branch at once.",
        parameters=[
            OpenApiParameter(
                "id",
                OpenApiTypes.INT64,
                OpenApiParameter.PATH,
                description="The role's `id`, in ASCII digits.",
            )
        ],
        responses={204: None, **error_responses(*READ_ERRORS, 404)},
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.staff_role_remove(staff_role=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
