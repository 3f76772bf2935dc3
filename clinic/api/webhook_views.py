"""Webhooks: clinic admins subscribe their branches' receivers, and watch the deliveries."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import webhooks
from clinic.api import paths
from clinic.api.access_views import _administered_branch
from clinic.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses, list_schema
from clinic.api.viewsets import ClinicViewSet
from clinic.api.webhook_serializers import (
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookWithSecretSerializer,
)
from clinic.models import ADMIN_ROLES, WebhookDelivery, WebhookEndpoint
from clinic.scoping import for_caller_as, get_or_not_found

_ROLE_MESSAGE = "Only a clinic admin may manage webhooks."
_WEBHOOK_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The webhook's `id`."
)


def _one_webhook_action(summary: str, description: str, responses: dict) -> dict:
    return {
        "summary": summary,
        "description": description,
        "parameters": [_WEBHOOK_ID],
        "request": None,
        "responses": {**responses, **error_responses(*READ_ERRORS, 404)},
    }


@extend_schema(tags=["webhooks"])
@extend_schema_view(
    list=list_schema(
        "The webhooks of your branches",
        WebhookSerializer,
        "Each receiver subscribed to your branches' change feed: its URL, event types, "
        "whether it is disabled and why. Never its secret.",
    ),
    retrieve=extend_schema(
        summary="One webhook",
        description="A receiver of one of your branches: URL, event types, whether it is "
        "disabled and why, and since when its secret was rotated. Never the secret.",
        parameters=[_WEBHOOK_ID],
        responses={200: WebhookSerializer, **error_responses(*READ_ERRORS, 404)},
    ),
)
class WebhookViewSet(
    ClinicViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin
):
    """Clinic admins subscribe receivers to the change feed, rotate their secrets, test them."""

    serializer_class = WebhookSerializer
    queryset_model = WebhookEndpoint
    required_roles = {"*": ADMIN_ROLES}
    role_message = _ROLE_MESSAGE
    lookup_value_regex = paths.UUID
    audit_object_type = "webhook"
    audit_actions = {"list": "webhook.list", "retrieve": "webhook.read",
                     "create": "webhook.create", "destroy": "webhook.delete",
                     "rotate_secret": "webhook.rotate_secret", "test": "webhook.test"}  # fmt: skip

    def get_scoped_queryset(self):
        endpoints = WebhookEndpoint.objects.select_related("branch").order_by("-created_at")
        return for_caller_as(endpoints, self.caller, ADMIN_ROLES)

    @extend_schema(
        summary="Subscribe a receiver (its signing secret is shown once)",
        description="Clinic admins. `url` must be https on a public address (checked again at "
        "every send); `event_types` are the change feed's. The answer carries `secret` "
        "(`whsec_` and base64), shown this once: verify each delivery's `webhook-signature` "
        "with it (Standard Webhooks). Deliveries carry ids and coded values, never patient "
        "details.",
        request=WebhookCreateSerializer,
        responses={201: WebhookWithSecretSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def create(self, request: Request) -> Response:
        data = WebhookCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        branch = _administered_branch(self.caller, data.validated_data.get("branch"))
        endpoint, secret = webhooks.webhook_create(
            branch=branch,
            url=data.validated_data["url"],
            event_types=data.validated_data["event_types"],
            description=data.validated_data["description"],
            created_by=self.caller.actor,
        )
        body = {**WebhookSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unsubscribe a receiver (its delivery log goes with it)",
        description="Nothing more is sent to it, including retries already scheduled.",
        parameters=[_WEBHOOK_ID],
        responses={204: None, **error_responses(*READ_ERRORS, 404)},
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        webhooks.webhook_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        **_one_webhook_action(
            "A new signing secret (shown once); the old one signs beside it for 24 hours",
            "Each delivery of the next 24 hours carries two signatures, so a receiver can "
            "switch to the new secret at its own pace.",
            {201: WebhookWithSecretSerializer},
        )
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk=None) -> Response:
        endpoint, secret = webhooks.webhook_rotate_secret(endpoint=self.get_object())
        body = {**WebhookSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        **_one_webhook_action(
            "Send a `webhook.test` event to this receiver now",
            "Signed and retried like any delivery; its progress is in the delivery log.",
            {202: WebhookDeliverySerializer},
        )
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk=None) -> Response:
        delivery = webhooks.webhook_send_test(endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    def audit_objects(self, request: Request, response: Response) -> tuple[list, list]:
        object_ids, _ = super().audit_objects(request, response)
        return object_ids, []  # no patient: webhooks are branch configuration


@extend_schema(tags=["webhooks"])
@extend_schema_view(
    list=extend_schema(
        summary="A webhook's delivery log, newest first",
        description="Each delivery: the event, attempts, last status code, next attempt and "
        "state (pending, delivered, failed).",
        parameters=[_WEBHOOK_ID],
        responses={
            200: WebhookDeliverySerializer(many=True),
            **error_responses(400, *READ_ERRORS, 404),
        },
    )
)
class WebhookDeliveryLogViewSet(ClinicViewSet, mixins.ListModelMixin):
    """The deliveries of one webhook: event, attempts, last status code, next attempt, state."""

    serializer_class = WebhookDeliverySerializer
    queryset_model = WebhookDelivery
    required_roles = {"*": ADMIN_ROLES}
    role_message = _ROLE_MESSAGE
    audit_object_type = "webhook_delivery"
    audit_actions = {"list": "webhook.deliveries"}

    def get_scoped_queryset(self):
        endpoints = for_caller_as(WebhookEndpoint.objects.all(), self.caller, ADMIN_ROLES)
        endpoint = get_or_not_found(endpoints, pk=self.kwargs["id"])
        return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")

    def audit_objects(self, request: Request, response: Response) -> tuple[list, list]:
        return [self.kwargs["id"]], []


@extend_schema(tags=["webhooks"])
class WebhookDeliveryViewSet(ClinicViewSet):
    """Deliveries, one at a time: a clinic admin sends one again."""

    serializer_class = WebhookDeliverySerializer
    queryset_model = WebhookDelivery
    required_roles = {"*": ADMIN_ROLES}
    role_message = _ROLE_MESSAGE
    lookup_value_regex = paths.WHOLE_NUMBER
    audit_object_type = "webhook_delivery"
    audit_actions = {"resend": "webhook.resend"}

    def get_scoped_queryset(self):
        deliveries = WebhookDelivery.objects.select_related("endpoint")
        return for_caller_as(deliveries, self.caller, ADMIN_ROLES, field="endpoint__branch")

    @extend_schema(
        summary="Deliver this event again (a new round of attempts)",
        description="Under the same `webhook-id`, so a receiver that kept it drops the copy. "
        "409 when the webhook is disabled.",
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                description="The delivery's `id`, in ASCII digits.",
            )
        ],
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            **error_responses(*READ_ERRORS, 404, 409),
        },
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk=None) -> Response:
        delivery = webhooks.delivery_resend(delivery=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    def audit_objects(self, request: Request, response: Response) -> tuple[list, list]:
        object_ids, _ = super().audit_objects(request, response)
        return object_ids, []
