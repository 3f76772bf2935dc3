from django.db import transaction
from rest_framework import serializers

from bench.peer.intakes.models import Intake, Patient

RED_FLAGS = ("bladder_bowel_change", "saddle_numbness", "fever", "cancer_history")
STARTBACK_ITEMS = (
    "leg_pain",
    "shoulder_or_neck_pain",
    "walks_short_distances_only",
    "dresses_slowly",
    "activity_unsafe",
    "worrying_thoughts",
    "pain_terrible_never_better",
    "no_enjoyment",
)


def grade(answers: dict) -> tuple[str, str]:
    """(disposition, urgency) from a few of the answers: a red flag sends the patient to a
    doctor now; leg symptoms on both sides or pain for more than six weeks, to a doctor;
    a STarT Back score of 4 or more, to physiotherapy; anything else is home care."""
    if any(answers.get(flag, "no") != "no" for flag in RED_FLAGS):
        return Intake.Disposition.MEDICAL_REFERRAL, Intake.Urgency.EMERGENCY
    if answers.get("bilateral_leg_symptoms") or answers.get("pain_duration_days", 0) > 42:
        return Intake.Disposition.MEDICAL_REFERRAL, Intake.Urgency.ROUTINE
    startback = answers.get("startback") or {}
    score = sum(bool(startback.get(item)) for item in STARTBACK_ITEMS)
    score += startback.get("bothersomeness") in ("very", "extremely")
    if score >= 4:
        return Intake.Disposition.PHYSIOTHERAPY, Intake.Urgency.ROUTINE
    return Intake.Disposition.HOME_CARE, Intake.Urgency.ROUTINE


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "external_id", "date_of_birth", "sex"]
        # A returning patient is found by external_id, not refused as a duplicate.
        extra_kwargs = {"external_id": {"validators": []}}


class IntakeSerializer(serializers.ModelSerializer):
    patient = PatientSerializer()

    class Meta:
        model = Intake
        fields = ["id", "patient", "answers", "disposition", "urgency", "created"]
        read_only_fields = ["disposition", "urgency", "created"]

    def validate_answers(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected an object.")
        return value

    def create(self, validated_data):
        patient_data = validated_data.pop("patient")
        disposition, urgency = grade(validated_data["answers"])
        with transaction.atomic():
            patient, _ = Patient.objects.get_or_create(
                external_id=patient_data.pop("external_id"), defaults=patient_data
            )
            return Intake.objects.create(
                patient=patient, disposition=disposition, urgency=urgency, **validated_data
            )
