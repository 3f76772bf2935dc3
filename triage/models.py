"""Patients, intakes and their assessments.

An intake keeps the answers exactly as submitted; its assessment keeps the decision exactly as
the engine computed it. Neither is ever edited: a clinician's review is a record of its own.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.choices import labelled_choices
from clinic.models import ApiKey, Branch
from clinic.records import WriteOnceModel
from triage.engine import vocabulary as v
from triage.engine.outcome import Outcome


def _one_of(field: str, values: tuple[str, ...], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name)


def _decision_constraints(prefix: str) -> list[models.BaseConstraint]:
    """What every stored decision (an assessment or a review) must satisfy (SPEC §1)."""
    return [
        _one_of("disposition", v.DISPOSITIONS, f"{prefix}_disposition_valid"),
        _one_of("urgency", v.URGENCIES, f"{prefix}_urgency_valid"),
        _one_of("service", v.SERVICES, f"{prefix}_service_valid"),
        _one_of("imaging", v.IMAGING, f"{prefix}_imaging_valid"),
        models.CheckConstraint(
            condition=Q(disposition="medical_referral") | Q(urgency="routine"),
            name=f"{prefix}_only_referrals_are_urgent",
        ),
    ]


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: patient_external_id_unique_per_branch starts with it.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="patients", db_index=False
    )
    external_id = models.CharField(
        max_length=64, help_text="The reception system's own identifier for this patient."
    )
    date_of_birth = models.DateField(null=True, help_text="Empty once the patient is redacted.")
    sex = models.CharField(max_length=10, choices=labelled_choices(v.SEXES))
    created_at = models.DateTimeField(auto_now_add=True)
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "external_id"], name="patient_external_id_unique_per_branch"
            ),
            _one_of("sex", v.SEXES, "patient_sex_valid"),
        ]
        # Search by reference across a person's branches (the unique index leads with branch).
        indexes = [models.Index(fields=["external_id"], name="patient_external_id")]

    def __str__(self) -> str:
        return f"Patient {self.external_id}"


class Intake(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of their own: intake_branch_recent and intake_patient_recent start with them.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="intakes", db_index=False
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="intakes", db_index=False
    )
    answers = models.JSONField(help_text="The answers exactly as submitted.")
    questionnaire_version = models.CharField(max_length=20)
    submitted_at = models.DateTimeField(db_index=False)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="intakes"
    )
    # Sent with a test key (ApiKey.test): decided as usual, left out of figures and worklist.
    test = models.BooleanField(default=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # The list endpoint: one branch, newest first (with the id that breaks ties, so a
            # page is read straight from the index in list order, never sorted).
            models.Index(fields=["branch", "-submitted_at", "-id"], name="intake_branch_recent"),
            models.Index(fields=["patient", "-submitted_at"], name="intake_patient_recent"),
            # Lists across every branch (superusers), newest first, as the admin orders them.
            models.Index(fields=["-submitted_at", "-id"], name="intake_recent"),
        ]

    def __str__(self) -> str:
        return f"Intake {self.id}"


class Assessment(WriteOnceModel):
    """The engine's decision on one intake, stored as computed and never changed."""

    write_once_message = "An assessment is immutable; record a review instead."

    intake = models.OneToOneField(Intake, on_delete=models.PROTECT, related_name="assessment")
    # Copies of the intake's branch and time, which never change: the dashboard counts
    # decisions per branch and day from this table and one index, without joining intakes.
    # The branch keeps an index of its own, narrower than assessment_branch_day: the list's
    # count is an index-only scan of it.
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    disposition = models.CharField(max_length=20, choices=labelled_choices(v.DISPOSITIONS))
    urgency = models.CharField(max_length=10, choices=labelled_choices(v.URGENCIES))
    service = models.CharField(max_length=40, choices=labelled_choices(v.SERVICES))
    imaging = models.CharField(max_length=20, choices=list(v.IMAGING_LABELS.items()))
    startback_risk = models.CharField(max_length=10, choices=labelled_choices(v.RISKS))
    has_red_flags = models.BooleanField()
    # The intake's `test`, copied (as its branch and time are) so that figures counted from
    # assessments leave test intakes out without a join.
    test = models.BooleanField(default=False)
    age = models.PositiveSmallIntegerField(help_text="Whole years on the intake date.")
    ruleset_version = models.CharField(max_length=20)
    decision = models.JSONField(help_text="The engine's full output.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            *_decision_constraints("assessment"),
            _one_of("startback_risk", v.RISKS, "assessment_startback_risk_valid"),
        ]
        indexes = [
            models.Index(fields=["disposition", "urgency"], name="assessment_outcome"),
            models.Index(
                fields=["branch", "submitted_at"],
                include=["disposition"],
                name="assessment_branch_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disposition} / {self.urgency}"

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.disposition, self.urgency, self.service, self.imaging)


class Review(WriteOnceModel):
    """A clinician's confirmation or override of an assessment. The assessment stays as it was;
    the latest review is the intake's final decision."""

    write_once_message = "A review is a record; add a new review instead of editing one."

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="reviews")
    # A copy of the intake's branch, which never changes: the dashboard counts a branch's
    # reviews from this table alone (joining intakes to find them took 80-140 ms at a million),
    # through review_branch_day, which also serves as the branch's index.
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", db_index=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="triage_reviews"
    )
    disposition = models.CharField(max_length=20, choices=labelled_choices(v.DISPOSITIONS))
    urgency = models.CharField(max_length=10, choices=labelled_choices(v.URGENCIES))
    service = models.CharField(max_length=40, choices=labelled_choices(v.SERVICES))
    imaging = models.CharField(max_length=20, choices=list(v.IMAGING_LABELS.items()))
    reason = models.TextField()
    overridden = models.BooleanField(help_text="Differs from the assessment it reviewed.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            *_decision_constraints("review"),
        ]
        indexes = [
            models.Index(
                fields=["branch", "created_at"], include=["overridden"], name="review_branch_day"
            ),
        ]

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.disposition, self.urgency, self.service, self.imaging)

    def __str__(self) -> str:
        return f"Review of {self.intake_id}"


class Replay(models.Model):
    """A candidate ruleset re-deciding a branch's stored intakes, compared with their stored
    decisions. The window is cut into parts (ReplayPart) that background workers run, each in
    one transaction; `done` is set, with the summary, by the transaction that finishes the last
    part, so a summary is never shown for a replay half done."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=20, help_text="The candidate ruleset.")
    submitted_after = models.DateTimeField(null=True, blank=True)
    submitted_before = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=200, help_text="Who started it, as the audit names them.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(help_text="When a worker last finished a part.")
    total = models.PositiveIntegerField(default=0, help_text="Intakes in the window.")
    processed = models.PositiveIntegerField(default=0)
    planned = models.BooleanField(
        default=False, help_text="Whether the window has been cut into parts."
    )
    summary = models.JSONField(null=True, blank=True, help_text="Set once, when done.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            _one_of("status", ("running", "done", "failed"), "replay_status_valid"),
        ]
        indexes = [models.Index(fields=["branch", "-created_at"], name="replay_branch_recent")]

    def __str__(self) -> str:
        return f"Replay of {self.version} ({self.status})"


class ReplayPart(models.Model):
    """One stretch of a replay's window, in (submitted_at, intake id) order: from `first_*`
    (inclusive; none: the window's start) to the next part's first (exclusive; the last part:
    the window's end). A worker runs a part whole, in one transaction, and records its counts;
    a part run twice (a worker restarted) finds itself done and stops."""

    replay = models.ForeignKey(Replay, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    first_intake = models.UUIDField(null=True, blank=True)
    done = models.BooleanField(default=False)
    counts = models.JSONField(default=dict, help_text="This part's share of the summary.")

    class Meta:
        ordering = ["replay", "number"]
        constraints = [
            models.UniqueConstraint(fields=["replay", "number"], name="replay_part_number"),
        ]

    def __str__(self) -> str:
        return f"Part {self.number} of {self.replay_id}"


class ReplayChange(models.Model):
    """One intake whose decision the candidate changes (disposition, urgency, service or
    imaging), with the rules it adds and removes."""

    class Kind(models.TextChoices):
        UNDER_TRIAGE = "under_triage", "Under-triage"
        OVER_TRIAGE = "over_triage", "Over-triage"
        SERVICE_ONLY = "service_only", "Service only"

    replay = models.ForeignKey(Replay, on_delete=models.CASCADE, related_name="changes")
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    before = models.JSONField(help_text="The stored decision: disposition, urgency, service.")
    after = models.JSONField(help_text="The candidate's decision, in the same shape.")
    rules_added = models.JSONField(default=list)
    rules_removed = models.JSONField(default=list)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["replay", "kind", "id"], name="replay_change_kind")]

    def __str__(self) -> str:
        return f"{self.kind} in {self.replay_id}"


class RulesetActivation(WriteOnceModel):
    """A branch's switch to a ruleset version from `effective_from`. The branch's active
    version at any time is that of its latest activation already in effect. The first of each
    branch is made by the system (no person, no replay); every later one by a safety officer,
    after a replay, under the governance rules of triage.rulesets."""

    write_once_message = "An activation is a record; activate again to change the version."

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=20)
    effective_from = models.DateTimeField()
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replay = models.ForeignKey(
        Replay, on_delete=models.PROTECT, null=True, blank=True, related_name="activations"
    )
    acknowledgements = models.JSONField(
        default=list, help_text="One per under-triage class: from, to and a rationale."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-effective_from", "-created_at"]
        indexes = [
            models.Index(
                fields=["branch", "-effective_from", "-created_at"], name="activation_branch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} from {self.effective_from:%Y-%m-%d %H:%M}"


class DecisionDay(models.Model):
    """One branch's figures for one settled day, counted once and kept: its decisions by
    disposition, and its reviews with the overrides among them by direction.

    A settled day's figures never change: assessments and reviews are written once (never
    edited or deleted), only by `intake_create` and `review_create`, each stamped with the
    time it is made; the branch and `test` they are counted by are copies or their intake's,
    fixed when it is made. The review dashboard counts a settled day from those tables the
    first time it shows it and reads it from here after that; the days not yet settled it
    counts afresh each time (triage.decision_days). Nothing is written here when an intake or
    a review is made. Derived data: emptying the table loses nothing but time."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    # The days are the clinic's local days (settings.TIME_ZONE); kept per time zone so that a
    # changed setting counts its own days rather than read another zone's.
    time_zone = models.CharField(max_length=64)
    day = models.DateField()
    # {disposition: number of assessments}, test intakes left out; absent means none.
    decisions = models.JSONField(default=dict)
    # Reviews made that day (of intakes not from a test key), and those that changed the
    # decision: to a higher (disposition, urgency), a lower one, or the same (the service).
    reviews = models.PositiveIntegerField(default=0)
    raised = models.PositiveIntegerField(default=0)
    lowered = models.PositiveIntegerField(default=0)
    sideways = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "time_zone", "day"], name="decision_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.day}"
