"""The `data` of the change-feed events referrals record (referrals.services), for the schema:
registered with clinic.api.feed_serializers.event_data in ReferralsConfig.ready()."""

from rest_framework import serializers

from referrals.models import REFERRED_SERVICES
from referrals.workflow import STATUSES
from triage.engine import vocabulary as v


class ReferralOpenedDataSerializer(serializers.Serializer):
    status = serializers.ChoiceField(STATUSES, help_text="Always `open`.")
    service = serializers.ChoiceField(REFERRED_SERVICES)
    urgency = serializers.ChoiceField(v.URGENCIES)


class ReferralAmendedDataSerializer(serializers.Serializer):
    service = serializers.ChoiceField(REFERRED_SERVICES)
    urgency = serializers.ChoiceField(v.URGENCIES)


# `from` is a Python keyword: declared as a class attribute by name.
ReferralTransitionedDataSerializer = type(
    "ReferralTransitionedDataSerializer",
    (serializers.Serializer,),
    {
        "from": serializers.ChoiceField(STATUSES, help_text="The status it left."),
        "to": serializers.ChoiceField(STATUSES, help_text="The status it is in now."),
    },
)

EVENT_DATA = {
    "referral.opened": ReferralOpenedDataSerializer,
    "referral.transitioned": ReferralTransitionedDataSerializer,
    "referral.amended": ReferralAmendedDataSerializer,
}
