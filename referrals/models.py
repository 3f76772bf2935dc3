"""Referrals: where a decision sends the patient, tracked until they are seen."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.choices import labelled_choices
from clinic.models import ApiKey, Branch
from clinic.records import WriteOnceModel
from referrals.workflow import AWAITING_BOOKING, FINAL, STATUSES
from triage.engine import vocabulary as v
from triage.models import Intake, Patient

REFERRED_SERVICES = tuple(service for service in v.SERVICES if service != "self_care")


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: referral_branch_recent starts with it.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="referrals", db_index=False
    )
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="referrals")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    service = models.CharField(max_length=40, choices=labelled_choices(REFERRED_SERVICES))
    urgency = models.CharField(max_length=10, choices=labelled_choices(v.URGENCIES))
    imaging = models.CharField(max_length=20, choices=list(v.IMAGING_LABELS.items()))
    reasons_summary = models.TextField()
    status = models.CharField(max_length=20, choices=labelled_choices(STATUSES), default="open")
    due_by = models.DateTimeField()
    first_booked_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was first booked."
    )
    booked_after = models.DurationField(
        null=True, blank=True, help_text="From the intake to the first booking."
    )
    # Bumped on every change: the ETag, so a stale write is refused (412).
    version = models.PositiveIntegerField(default=1)
    # Its intake's `test` (a test key's), copied so that the worklist and the dashboard leave
    # test referrals out without a join.
    test = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake"],
                condition=~Q(status__in=sorted(FINAL)),
                name="referral_one_active_per_intake",
            ),
            models.CheckConstraint(condition=Q(status__in=STATUSES), name="referral_status_valid"),
            models.CheckConstraint(
                condition=Q(service__in=REFERRED_SERVICES), name="referral_service_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=v.URGENCIES), name="referral_urgency_valid"
            ),
            models.CheckConstraint(
                condition=Q(imaging__in=v.IMAGING), name="referral_imaging_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "-created_at"], name="referral_branch_recent"),
            models.Index(fields=["branch", "status", "due_by"], name="referral_branch_status_due"),
            # Lists across every branch (superusers), newest first, as the admin orders them.
            models.Index(fields=["-created_at", "-id"], name="referral_recent"),
            # The dashboard's pipeline and median wait, in one pass over this index alone (not
            # the table): the clinic's own referrals, test ones left out.
            models.Index(
                fields=["branch", "created_at"],
                include=["status", "booked_after"],
                condition=Q(test=False),
                name="referral_branch_figures",
            ),
            # The overdue worklist: only referrals still waiting to be booked.
            models.Index(
                fields=["due_by"],
                condition=Q(status__in=AWAITING_BOOKING),
                name="referral_awaiting_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.id} ({self.status})"

    @property
    def etag(self) -> str:
        return f'"{self.id}-{self.version}"'


class ReferralHistory(WriteOnceModel):
    """Append-only: every status change, and every amendment a clinician review makes."""

    write_once_message = "Referral history is append-only."

    KINDS = (("transition", "Status change"), ("amendment", "Amended by review"))

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="history")
    kind = models.CharField(max_length=20, choices=KINDS, default="transition")
    from_status = models.CharField(max_length=20, choices=labelled_choices(STATUSES), blank=True)
    to_status = models.CharField(max_length=20, choices=labelled_choices(STATUSES))
    note = models.TextField(blank=True)
    actor = models.CharField(max_length=200, help_text="Who: a user name or an API key prefix.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "referral history"

    def __str__(self) -> str:
        return f"{self.from_status or '·'} → {self.to_status}"
