import re
import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.api import paths
from clinic.api import schema as api_schema
from clinic.api.negotiation import PrintablePageNegotiation
from clinic.api.print_links import (
    LINK_CREATE_RESPONSES,
    PrintLinkInputSerializer,
    PrintLinkOpenView,
    print_link_create_response,
)
from clinic.api.viewsets import ClinicViewSet
from clinic.idempotency import idempotent
from clinic.models import PrintLink
from clinic.printable import pdf_wanted, printable
from referrals import selectors, services
from referrals.api import serializers as s
from referrals.filtersets import ReferralFilterSet
from referrals.letter import letter_context
from referrals.models import Referral

_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Referral id")


# A strong ETag as Referral.etag writes it: "<id>-<version>".
_ETAG = re.compile(r'"(?P<id>[^"]+)-(?P<version>0|[1-9][0-9]*)"')
# No referral is ever at this version (they start at 1): what a value naming another
# referral, a weak or malformed tag, or a list of tags expects, so that it is refused (412).
NO_VERSION = 0


def expected_version(if_match: str | None, referral_id) -> int | None:
    """The version an `If-Match` header expects the referral to be at: None when absent or
    `*` (any version), NO_VERSION when it is not exactly this referral's ETag."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.fullmatch(if_match.strip())
    try:
        same = match is not None and match["id"] == str(uuid.UUID(str(referral_id)))
    except ValueError:
        same = False
    return int(match["version"]) if same else NO_VERSION


@extend_schema_view(
    list=api_schema.list_schema(
        "List referrals, newest first",
        s.ReferralSerializer,
        "The referrals of your branches, filtered by the query parameters below (`overdue` "
        "for the ones past their due-by time and not yet booked).",
    )
)
class ReferralViewSet(ClinicViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilterSet
    queryset_model = Referral
    lookup_value_regex = paths.UUID
    audit_object_type = "referral"
    audit_actions = {
        "list": "referral.list",
        "retrieve": "referral.read",
        "transitions": "referral.transition",
        "letter": "referral.letter",
        "letter_links": "referral.letter_link_create",
    }

    def audit_extra_patients(self, request: Request, response) -> list:
        if response.status_code >= 400 or self.action not in ("letter", "letter_links"):
            return []
        return list(
            Referral.objects.filter(pk=self.kwargs["pk"]).values_list("patient_id", flat=True)
        )

    def get_scoped_queryset(self):
        caller = self.caller
        if self.action == "retrieve":
            return selectors.referral_detail(caller=caller)
        if self.action in ("letter", "letter_links"):
            return selectors.referral_letter(caller=caller)
        return selectors.referral_list(caller=caller)

    @extend_schema(
        summary="One referral with its history",
        description="The `ETag` header identifies this version; send it back as `If-Match` "
        "with a transition to refuse the change (412) if someone else moved it first.",
        parameters=[_ID, api_schema.response_header("ETag", 200)],
        responses={
            200: s.ReferralDetailSerializer,
            **api_schema.error_responses(*api_schema.READ_ERRORS, 404),
        },
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        referral = self.get_object()
        return Response(s.ReferralDetailSerializer(referral).data, headers={"ETag": referral.etag})

    @extend_schema(
        summary="Move a referral to its next status",
        description="Legal moves: open → sent → accepted → booked → attended → completed; "
        "sent → declined; booked → not_attended → booked; any status that is not final → "
        "cancelled (with a note). An illegal move is 409 with `current_status` and "
        "`legal_next`; a stale `If-Match` is 412.",
        parameters=[
            _ID,
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="The ETag you read; optional.",
            ),
            api_schema.IDEMPOTENCY_KEY,
            api_schema.response_header("ETag", 200),
        ],
        request=s.TransitionInputSerializer,
        responses={
            200: s.ReferralDetailSerializer,
            **api_schema.error_responses(
                *api_schema.WRITE_ERRORS, 404, 412, *api_schema.IDEMPOTENT_ERRORS
            ),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def transitions(self, request: Request, pk=None) -> Response:
        data = s.TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.referral_transition(
            caller=self.caller,
            referral_id=pk,
            expected_version=expected_version(request.headers.get("If-Match"), pk),
            **data.validated_data,
        )
        referral = selectors.referral_detail(caller=self.caller).get(pk=referral.pk)
        return Response(s.ReferralDetailSerializer(referral).data, headers={"ETag": referral.etag})

    @extend_schema(
        summary="The referral letter as a printable page, or a PDF of it",
        description="`Accept: application/pdf` for the PDF of the same page; 503 when this "
        "server lacks WeasyPrint's system libraries (the page itself still works).",
        parameters=[_ID],
        responses=api_schema.paper_responses(),
    )
    @action(detail=True, methods=["get"], content_negotiation_class=PrintablePageNegotiation)
    def letter(self, request: Request, pk=None) -> HttpResponse:
        referral = self.get_object()  # a 404 comes before a 503
        return letter_paper(referral, pdf=pdf_wanted(request))

    @extend_schema(
        summary="A signed link to the printable referral letter",
        description="Opens the letter (or, with `?format=pdf`, its PDF) once, without "
        "credentials, within 15 minutes. The URL carries no patient data.",
        parameters=[_ID],
        request=PrintLinkInputSerializer,
        responses={
            **LINK_CREATE_RESPONSES,
            **api_schema.error_responses(*api_schema.WRITE_ERRORS, 404),
        },
    )
    @action(detail=True, methods=["post"], url_path="letter/links")
    def letter_links(self, request: Request, pk=None) -> Response:
        referral = self.get_object()  # whoever may read the letter may hand it over
        purpose = PrintLink.Purpose.LETTER
        return print_link_create_response(
            request, referral, caller=self.caller, purpose=purpose, route="letter-link"
        )


def letter_paper(referral: Referral, *, pdf: bool) -> HttpResponse:
    return printable(
        "referrals/letter.html", letter_context(referral), pdf=pdf, filename="referral-letter"
    )


class LetterLinkView(PrintLinkOpenView):
    purpose = PrintLink.Purpose.LETTER
    audit_action = "referral.letter_link_open"
    audit_object_type = "referral"

    def draw(self, link: PrintLink, *, pdf: bool) -> tuple[HttpResponse, object]:
        referral = (
            selectors.with_letter_data(Referral.objects.all())
            .filter(pk=link.object_id, branch_id=link.branch_id)
            .first()
        )
        if referral is None:
            raise NotFound()
        return letter_paper(referral, pdf=pdf), referral.patient_id
