"""What the ruleset endpoints take and answer (triage.api.ruleset_views)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.fields import StrictChoiceField, StrictSerializer
from triage.engine import RULESETS
from triage.engine import vocabulary as v
from triage.models import Replay, ReplayChange, RulesetActivation
from triage.replays import progress

# An outcome pair as replays and acknowledgements write it: "<disposition>/<urgency>". Only a
# medical referral is ever urgent or an emergency (SPEC §1).
OUTCOME_PAIRS = tuple(
    f"{disposition}/{urgency}"
    for disposition in v.DISPOSITIONS
    for urgency in v.URGENCIES
    if disposition == "medical_referral" or urgency == "routine"
)


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


def _acknowledgement_fields(*, strict: bool) -> dict[str, serializers.Field]:
    # `from` is a Python keyword: the fields are given as a mapping.
    pair: Any = StrictChoiceField if strict else serializers.ChoiceField
    return {
        "from": pair(OUTCOME_PAIRS, help_text="The stored decision: disposition/urgency."),
        "to": pair(OUTCOME_PAIRS, help_text="The candidate's decision, lower than `from`."),
        "rationale": serializers.CharField(
            max_length=4000,
            allow_blank=True,  # blank is accepted here and refused as no acknowledgement (409)
            help_text="Why this under-triage is acceptable: kept with the activation.",
        ),
    }


AcknowledgementInputSerializer = type(
    "AcknowledgementInput", (StrictSerializer,), _acknowledgement_fields(strict=True)
)
AcknowledgementSerializer = type(
    "Acknowledgement", (serializers.Serializer,), _acknowledgement_fields(strict=False)
)


class ActivationInputSerializer(StrictSerializer):
    effective_from = serializers.DateTimeField(
        required=False,
        help_text="Now or later (default now), and no later than 7 days after the replay finished.",
    )
    replay = serializers.UUIDField(
        help_text="A finished replay of this version on your branch, started by someone else."
    )
    acknowledgements = AcknowledgementInputSerializer(
        many=True,
        required=False,
        help_text="One per under-triage class of the replay (each from → to pair whose `to` "
        "is lower), each with its rationale.",
    )

    def validate_acknowledgements(self, value: list[dict]) -> list[dict]:
        pairs = [(ack["from"], ack["to"]) for ack in value]
        if len(set(pairs)) != len(pairs):
            raise serializers.ValidationError(
                "Each from → to pair may be acknowledged once.", code="duplicate"
            )
        return value


class ActivationSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    activated_by = serializers.CharField(
        source="activated_by.get_username",
        allow_null=True,
        read_only=True,
        help_text="The safety officer; null for the system's first activation of a branch.",
    )
    replay = serializers.UUIDField(source="replay_id", allow_null=True, read_only=True)
    acknowledgements = AcknowledgementSerializer(many=True, read_only=True)
    status = serializers.SerializerMethodField(
        help_text="`active` (in effect now), `pending` (waiting for `effective_from`) or "
        "`superseded`."
    )

    class Meta:
        model = RulesetActivation
        fields = ["id", "branch", "version", "effective_from", "status", "activated_by", "replay",
                  "acknowledgements", "created_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(("active", "pending", "superseded")))
    def get_status(self, activation: RulesetActivation) -> str:
        # The view passes each branch's active activation in the context.
        in_effect = self.context.get("active_ids", set())
        if activation.id in in_effect:
            return "active"
        now = self.context.get("now")
        if now is not None and activation.effective_from > now:
            return "pending"
        return "superseded"


# Replays ----------------------------------------------------------------------------------


class ReplayInputSerializer(StrictSerializer):
    branch = serializers.SlugField(
        required=False,
        help_text="One of your branches, by slug; needed only if you work in several.",
    )
    submitted_after = serializers.DateTimeField(
        required=False,
        help_text="Replay only intakes submitted at or after this time (default: the first).",
    )
    submitted_before = serializers.DateTimeField(
        required=False,
        help_text="Replay only intakes submitted before this time (default: when the replay "
        "starts). An activation needs a replay covering the last 90 days up to now.",
    )


class MatrixRowSerializer(serializers.Serializer):
    # `from` is a Python keyword: declared through the mapping below.
    count = serializers.IntegerField(min_value=0)


MatrixRowSerializer._declared_fields = {
    "from": serializers.ChoiceField(OUTCOME_PAIRS, help_text="The stored decision."),
    "to": serializers.ChoiceField(OUTCOME_PAIRS, help_text="The candidate's decision."),
    **MatrixRowSerializer._declared_fields,
}


class ReplaySummarySerializer(serializers.Serializer):
    intakes = serializers.IntegerField(help_text="Intakes re-decided.")
    changed = serializers.IntegerField(
        help_text="Intakes whose disposition, urgency, service or imaging differ."
    )
    under_triaged = serializers.IntegerField(
        help_text="Changed to a lower disposition-then-urgency (SPEC §1's order)."
    )
    over_triaged = serializers.IntegerField(help_text="Changed to a higher one.")
    service_only = serializers.IntegerField(
        help_text="Same disposition and urgency, another service or imaging."
    )
    rules_only = serializers.IntegerField(
        help_text="Same outcome, but other rules behind it (not counted in `changed`)."
    )
    matrix = MatrixRowSerializer(
        many=True, help_text="Counts by stored → candidate decision, every pair seen."
    )


class ReplayProgressSerializer(serializers.Serializer):
    processed = serializers.IntegerField(help_text="Intakes re-decided so far.")
    total = serializers.IntegerField(help_text="Intakes in the window (0 until counted).")
    fraction = serializers.FloatField(help_text="0 to 1; 1 only when done.")


class ReplaySerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    started_by = serializers.CharField(
        source="actor", read_only=True, help_text="Who started it, as the audit trail names them."
    )
    progress = serializers.SerializerMethodField()
    summary = ReplaySummarySerializer(
        allow_null=True, read_only=True, help_text="Set when `status` is `done`, never before."
    )

    class Meta:
        model = Replay
        fields = ["id", "branch", "version", "status", "submitted_after", "submitted_before",
                  "started_by", "created_at", "finished_at", "progress", "summary"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ReplayProgressSerializer)
    def get_progress(self, replay: Replay) -> dict[str, Any]:
        return {"processed": replay.processed, "total": replay.total,
                "fraction": round(progress(replay), 4)}  # fmt: skip


class DecisionPartsSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(v.DISPOSITIONS)
    urgency = serializers.ChoiceField(v.URGENCIES)
    service = serializers.ChoiceField(v.SERVICES)
    imaging = serializers.ChoiceField(tuple(v.IMAGING_LABELS))


class ReplayChangeSerializer(serializers.ModelSerializer):
    intake = serializers.UUIDField(source="intake_id", read_only=True)
    rules_added = serializers.ListField(child=serializers.CharField(), read_only=True)
    rules_removed = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ReplayChange
        fields = ["intake", "kind", "rules_added", "rules_removed"]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword: the stored and candidate decisions are added here.
        fields = super().get_fields()
        fields["from"] = DecisionPartsSerializer(source="before", read_only=True)
        fields["to"] = DecisionPartsSerializer(source="after", read_only=True)
        return fields
