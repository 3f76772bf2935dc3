"""The `data` of the change-feed events triage records (triage.services, triage.rulesets), for
the schema: registered with clinic.api.feed_serializers.event_data in TriageConfig.ready()."""

from rest_framework import serializers

from triage.engine import vocabulary as v


class IntakeCreatedDataSerializer(serializers.Serializer):
    questionnaire_version = serializers.CharField(help_text="The questionnaire it answered.")


class AssessmentCreatedDataSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(v.DISPOSITIONS)
    urgency = serializers.ChoiceField(v.URGENCIES)
    service = serializers.ChoiceField(v.SERVICES)


class ReviewCreatedDataSerializer(AssessmentCreatedDataSerializer):
    overridden = serializers.BooleanField(help_text="Whether it changed the assessment.")


class RulesetActivatedDataSerializer(serializers.Serializer):
    activation = serializers.UUIDField(help_text="The activation's id.")
    version = serializers.CharField(help_text="The version activated.")
    previous_version = serializers.CharField(help_text="The version it takes over from.")
    effective_from = serializers.DateTimeField()


EVENT_DATA = {
    "intake.created": IntakeCreatedDataSerializer,
    "assessment.created": AssessmentCreatedDataSerializer,
    "review.created": ReviewCreatedDataSerializer,
    "ruleset.activated": RulesetActivatedDataSerializer,
}
