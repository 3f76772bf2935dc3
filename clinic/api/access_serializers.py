"""What the credential endpoints take and answer (clinic.api.access_views)."""

from django.utils import timezone
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from clinic.api.fields import (
    StrictBooleanField,
    StrictChoiceField,
    StrictRegexField,
    StrictSerializer,
)
from clinic.models import ApiKey, StaffRole


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, style={"input_type": "password"})


TokenSerializer = inline_serializer(
    "StaffToken",
    {
        "token": serializers.CharField(help_text="Shown once."),
        "expiry": serializers.DateTimeField(),
    },
)


class ApiKeySerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ApiKey
        fields = ["prefix", "name", "branch", "created", "expiry_date", "revoked", "test"]
        read_only_fields = fields


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The plain key: shown this once, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=50)
    branch = serializers.SlugField(required=False, help_text="Needed if you run several branches.")
    expiry_date = serializers.DateTimeField(
        required=False, allow_null=True, help_text="In the future; none: the key does not expire."
    )
    test = StrictBooleanField(
        required=False,
        default=False,
        help_text="A test key, for building against this service safely: its intakes are "
        "stored and decided as usual but marked `test`, and left out of the dashboard's "
        "figures and the worklist.",
    )

    def validate_expiry_date(self, value):
        # A key that has expired already is no use; and a date centuries ago would come back
        # with a local mean time offset in seconds (-00:01:15), which is not a valid date-time.
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.", code="past")
        return value


class StaffRoleSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = StaffRole
        fields = ["id", "username", "branch", "role"]
        read_only_fields = fields


class StaffRoleGrantSerializer(StrictSerializer):
    username = StrictRegexField(r"^[\w.@+-]{1,150}$")
    role = StrictChoiceField(StaffRole.Role.choices)
    branch = serializers.SlugField(required=False, help_text="Needed if you run several branches.")


class GrantedStaffRoleSerializer(StaffRoleSerializer):
    password = serializers.CharField(
        allow_null=True, help_text="For a new account only: shown once; the person changes it."
    )

    class Meta(StaffRoleSerializer.Meta):
        fields = [*StaffRoleSerializer.Meta.fields, "password"]
        read_only_fields = fields
