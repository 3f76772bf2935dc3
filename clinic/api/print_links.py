"""Signed links to the printable pages: made by a caller who may read the page, opened once
within 15 minutes by anyone holding the URL (a front-desk browser, a printer's web page).

The care plan's and the letter's own apps make and open their links (they know the pages);
this module holds what both share: the serializers, the URL's shape, and the opening view's
base, which audits every attempt, under the link's creator when the link is known.

A link opens once. The issue asks for a used link to answer 410: a link that could be opened
again and again for 15 minutes would be a credential for a patient's page passed around by
hand. Its one opening may be the page or its PDF (`?format=pdf`), not both; whoever needs both
asks for two links.
"""

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import services
from clinic.api.fields import StrictChoiceField, StrictSerializer
from clinic.api.negotiation import PrintablePageNegotiation
from clinic.api.query import StrictQueryMixin
from clinic.api.schema import error_responses
from clinic.audit import record
from clinic.callers import Caller
from clinic.models import PrintLink
from clinic.printable import pdf_available

# What a token looks like in a path (secrets.token_urlsafe(32)): anything else is a 404 before
# any view, query or audit record sees it.
TOKEN = "[A-Za-z0-9_-]{43}"  # noqa: S105 (a pattern, not a secret)


class PrintLinkInputSerializer(StrictSerializer):
    """No fields: the link is for the page named by the path, and opens as HTML or PDF."""


class PrintLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Opens the printable page once, with no credentials.")
    pdf_url = serializers.URLField(help_text="The same link, opening the page as a PDF instead.")
    expires_at = serializers.DateTimeField()
    purpose = serializers.ChoiceField(PrintLink.Purpose.choices)


class PrintLinkQuerySerializer(serializers.Serializer):
    format = StrictChoiceField(
        ["html", "pdf"], required=False, help_text="`pdf` for the PDF; the page by default."
    )


def print_link_create_response(
    request: Request, paper_of: Any, *, caller: Caller, purpose: str, route: str
) -> Response:
    """Make a link for the page of `paper_of` (an intake or a referral: its id and branch) and
    answer 201 with its URL (built from `route`, a URL name taking the token): the only time
    the token is ever shown."""
    data = PrintLinkInputSerializer(data=request.data or {})
    data.is_valid(raise_exception=True)
    link, token = services.print_link_create(
        caller=caller, purpose=purpose, object_id=paper_of.pk, branch_id=paper_of.branch_id
    )
    url = request.build_absolute_uri(reverse(route, kwargs={"token": token}))
    body = {"url": url, "pdf_url": f"{url}?format=pdf", "expires_at": link.expires_at,
            "purpose": purpose}  # fmt: skip
    return Response(PrintLinkSerializer(body).data, status=201)


LINK_CREATE_RESPONSES: dict[Any, Any] = {201: PrintLinkSerializer}

LINK_OPEN_SCHEMA = extend_schema(
    summary="Open a signed link: the printable page, or its PDF, once",
    description="No credentials: the token is the credential. A link opens once, within 15 "
    "minutes of being made; after that it answers 410 saying whether it was used or expired. "
    "Every attempt is audited under whoever made the link.",
    auth=[],
    responses={
        (200, "text/html"): OpenApiTypes.STR,
        (200, "application/pdf"): OpenApiTypes.BINARY,
        **error_responses(400, 404, 410, 429, 503),
    },
)


class PrintLinkOpenView(StrictQueryMixin, APIView):
    """Opens a link of `purpose`. Subclasses say how its page is drawn (`draw`)."""

    # GET only: Django would answer HEAD with GET, and a link checker's or a mail scanner's
    # HEAD would then use the link up before the person it was for opens it.
    http_method_names = ["get"]
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = PrintablePageNegotiation
    query_serializer_class = PrintLinkQuerySerializer
    purpose: str
    audit_action: str
    audit_object_type: str

    def draw(self, link: PrintLink, *, pdf: bool) -> tuple[HttpResponse, Any]:
        """The page (or PDF) the link opens, and the id of the patient it is about."""
        raise NotImplementedError

    @LINK_OPEN_SCHEMA
    def get(self, request: Request, token: str) -> HttpResponse:
        self.link: PrintLink | None = None
        self.patient_id: Any = None
        query = PrintLinkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pdf = query.validated_data.get("format") == "pdf"
        self.link = services.print_link_find(token=token, purpose=self.purpose)
        if pdf:
            pdf_available()  # a 503 leaves the link unused
        # One transaction: a page that fails to draw leaves the link unused.
        with transaction.atomic():
            services.print_link_use(link=self.link)
            response, self.patient_id = self.draw(self.link, pdf=pdf)
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        link = getattr(self, "link", None)
        status_code = response.status_code
        record(
            request=request,
            action=self.audit_action,
            status_code=status_code,
            object_type=self.audit_object_type,
            object_ids=[link.object_id] if link is not None else [],
            patient_ids=[getattr(self, "patient_id", None)],
            link=link,
            actor=None if link is not None else "-",
            outcome="denied" if 400 <= status_code < 500 else None,
        )
        return response
