from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.fields import FixedFieldsModelSerializer, StrictChoiceField, StrictSerializer
from referrals.models import REFERRED_SERVICES, Referral, ReferralHistory
from referrals.workflow import LEGAL_NEXT, STATUSES
from triage.engine import vocabulary as v


class ReferralSummarySerializer(FixedFieldsModelSerializer):
    status = serializers.ChoiceField(STATUSES)
    service = serializers.ChoiceField(REFERRED_SERVICES)
    urgency = serializers.ChoiceField(v.URGENCIES)

    class Meta:
        model = Referral
        fields = ["id", "status", "service", "urgency", "due_by"]
        read_only_fields = fields


class ReferralHistorySerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(help_text="Empty for the entry that opened it.")
    to_status = serializers.ChoiceField(STATUSES)

    class Meta:
        model = ReferralHistory
        fields = ["kind", "from_status", "to_status", "note", "actor", "at"]
        read_only_fields = fields


class ReferralPatientSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField()


class ReferralSerializer(ReferralSummarySerializer):
    patient = ReferralPatientSerializer(read_only=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text="Past its due-by time and not yet booked."
    )
    legal_next = serializers.SerializerMethodField(
        help_text="The statuses this referral may move to next."
    )
    imaging = serializers.ChoiceField(v.IMAGING)

    class Meta:
        model = Referral
        fields = [
            "id", "intake", "patient", "status", "legal_next", "service", "urgency", "imaging",
            "reasons_summary", "due_by", "overdue", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(STATUSES)))
    def get_legal_next(self, referral: Referral) -> list[str]:
        return list(LEGAL_NEXT[referral.status])


class ReferralDetailSerializer(ReferralSerializer):
    history = ReferralHistorySerializer(many=True, read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "history"]
        read_only_fields = fields


class TransitionInputSerializer(StrictSerializer):
    to = StrictChoiceField(STATUSES, help_text="The status to move to.")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="",
        help_text="Required when cancelling.",
    )  # fmt: skip
