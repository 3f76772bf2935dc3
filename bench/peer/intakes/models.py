from django.db import models


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female"
        MALE = "male"
        OTHER = "other"
        UNKNOWN = "unknown"

    external_id = models.CharField(max_length=64, unique=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, choices=Sex.choices)

    def __str__(self) -> str:
        return self.external_id


class Intake(models.Model):
    class Disposition(models.TextChoices):
        HOME_CARE = "home_care"
        PHYSIOTHERAPY = "physiotherapy"
        MEDICAL_REFERRAL = "medical_referral"

    class Urgency(models.TextChoices):
        ROUTINE = "routine"
        URGENT = "urgent"
        EMERGENCY = "emergency"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    answers = models.JSONField()
    disposition = models.CharField(max_length=32, choices=Disposition.choices)
    urgency = models.CharField(max_length=16, choices=Urgency.choices)
    # Indexed: the list is newest first.
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.patient} {self.created:%Y-%m-%d} {self.disposition}"
