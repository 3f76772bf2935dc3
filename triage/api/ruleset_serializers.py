"""What the ruleset endpoints take and answer (triage.api.ruleset_views)."""

from rest_framework import serializers

from clinic.api.fields import StrictChoiceField
from triage.engine import RULESETS


class BranchQuerySerializer(serializers.Serializer):
    branch = serializers.SlugField(
        required=False,
        help_text="One of your branches, by slug; needed only if you work in several.",
    )


class RulesetQuerySerializer(serializers.Serializer):
    ruleset = StrictChoiceField(
        tuple(RULESETS),
        required=False,
        help_text="Any version the engine holds (what-if); without it, your branch's active one.",
    )


# Output -----------------------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="C1, C2, ... as the version's specification numbers it.")
    summary = serializers.CharField()
    hazards = serializers.ListField(child=serializers.CharField(), help_text="Hazard ids.")
    rules = serializers.ListField(child=serializers.CharField(), help_text="Rules it touches.")


class HazardSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="H-01, H-02, ...")
    hazard = serializers.CharField(help_text="What could harm a patient.")
    controlled_by = serializers.ListField(child=serializers.CharField())


class PendingActivationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    effective_from = serializers.DateTimeField()
    activated_by = serializers.CharField(source="activated_by.get_username", allow_null=True)


class RulesetSerializer(serializers.Serializer):
    version = serializers.CharField()
    released = serializers.DateField()
    changes = ChangeSerializer(many=True, help_text="What changed from the version before.")
    hazards = HazardSerializer(many=True, help_text="The version's hazard log.")
    active = serializers.BooleanField(
        allow_null=True,
        help_text="Whether it decides your branch's intakes now (null if you work in several "
        "branches and named none).",
    )
    active_since = serializers.DateTimeField(allow_null=True, help_text="When it became active.")
    pending = PendingActivationSerializer(
        allow_null=True, help_text="An activation of this version waiting for its time."
    )
