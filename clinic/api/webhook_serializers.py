"""What the webhook endpoints take and answer (clinic.api.webhook_views)."""

from rest_framework import serializers

from clinic import webhook_sending
from clinic.api.feed_serializers import EVENT_TYPES
from clinic.api.fields import StrictSerializer, UniqueChoiceListField
from clinic.models import WebhookDelivery, WebhookEndpoint


class WebhookSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    event_types = serializers.ListField(child=serializers.CharField())
    disabled_reason = serializers.CharField(
        help_text="Why deliveries stopped (empty while the endpoint is enabled)."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "event_types", "description", "branch", "created_by",
                  "created_at", "previous_secret_expires_at", "failing_since", "disabled_at",
                  "disabled_reason"]  # fmt: skip
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        help_text="`whsec_` and base64: shown this once, never again. Verify deliveries with it."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(StrictSerializer):
    url = serializers.URLField(
        max_length=2000,
        help_text="Where to POST deliveries: https, on a public address.",
        error_messages={"invalid": "Must be a valid URL."},
    )
    event_types = UniqueChoiceListField(
        EVENT_TYPES, min_length=1, help_text="The change-feed event types to send."
    )
    description = serializers.CharField(max_length=200, required=False, default="")
    branch = serializers.SlugField(required=False, help_text="Needed if you run several branches.")

    def validate_url(self, value: str) -> str:
        # The address is checked again at every send; refusing it now saves a silent failure.
        try:
            webhook_sending.check_url(value)
        except webhook_sending.UnsafeUrl as refused:
            raise serializers.ValidationError(str(refused), code="unsafe_url") from None
        return value


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.UUIDField(source="endpoint_id", read_only=True)
    event_id = serializers.IntegerField(
        allow_null=True, help_text="The change-feed event; null for a `webhook.test`."
    )
    message_id = serializers.CharField(help_text="The `webhook-id` header it is sent with.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "webhook_id", "event_id", "message_id", "type", "state", "attempts",
                  "last_attempt_at", "last_status_code", "last_error", "next_attempt_at",
                  "delivered_at", "created_at"]  # fmt: skip
        read_only_fields = fields
