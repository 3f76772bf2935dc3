"""Clinic branches and the API keys their reception systems use."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from clinic.records import WriteOnceModel


class Branch(models.Model):
    """One clinic site. Every patient, intake and key belongs to exactly one branch."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # How patients and other services reach the branch: printed on care plans and referral
    # letters. A clinic admin keeps them up to date in the admin; a blank one is left out.
    address = models.TextField(blank=True, help_text="Postal address, as printed on letters.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    contact_person = models.CharField(
        max_length=200, blank=True, help_text="Who a receiving service asks for about a referral."
    )

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return self.name


class ApiKeyManager(APIKeyManager):
    def get_usable_keys(self) -> models.QuerySet:
        # The caller's branch is needed on every request: fetch it with the key.
        return super().get_usable_keys().select_related("branch")


class ApiKey(AbstractAPIKey):
    """A reception system's key: only its hash is stored, and it sees only its branch."""

    objects: ClassVar[ApiKeyManager] = ApiKeyManager()

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="api_keys")
    # An integrator's key for building against production: its intakes are stored and decided
    # as usual, but marked `test` and left out of the clinic's figures and worklist.
    test = models.BooleanField(default=False, help_text="A test key: its intakes are marked test.")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class Role(models.TextChoices):
    """The one spelling of the staff roles, wherever the code names one: `StaffRole.Role`."""

    RECEPTION = "reception", "Reception"
    CLINICIAN = "clinician", "Clinician"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    # The clinic's clinical safety officer: replays and activates ruleset versions.
    SAFETY_OFFICER = "safety_officer", "Safety officer"


class StaffRole(models.Model):
    """A person's role in one branch. Clinicians (and clinic admins) may review decisions."""

    Role = Role  # defined above the class only so that Meta (which cannot see its body) can name it

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles"
    )
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "branch"], name="staff_role_one_per_branch"),
            models.CheckConstraint(
                condition=Q(role__in=Role.values),
                name="staff_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} at {self.branch}"


# Who may review decisions and see a patient's answers in a branch; who administers one.
CLINICAL_ROLES = (StaffRole.Role.CLINICIAN, StaffRole.Role.CLINIC_ADMIN)
ADMIN_ROLES = (StaffRole.Role.CLINIC_ADMIN,)
# Who may read a branch's ruleset governance: replays and activations (only a safety officer
# activates).
RULESET_ROLES = (*CLINICAL_ROLES, StaffRole.Role.SAFETY_OFFICER)


class Event(models.Model):
    """One entry of the change feed: something happened to a branch's records.

    Ids are handed out in commit order (see `clinic.events.record_event`), so a reader that
    remembers the last id it saw never skips or repeats an event.
    """

    TYPES = (
        ("intake.created", "Intake created"),
        ("assessment.created", "Decision made"),
        ("review.created", "Decision reviewed"),
        ("referral.opened", "Referral opened"),
        ("referral.transitioned", "Referral status changed"),
        ("referral.amended", "Referral amended"),
        ("ruleset.activated", "Ruleset version activated"),
    )

    id = models.BigAutoField(primary_key=True)
    # No index of its own: event_branch_cursor (branch, id) starts with it.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    type = models.CharField(max_length=30, choices=TYPES)
    occurred_at = models.DateTimeField()
    patient_id = models.UUIDField(null=True)
    intake_id = models.UUIDField(null=True)
    referral_id = models.UUIDField(null=True)
    review_id = models.UUIDField(null=True)
    data = models.JSONField(default=dict, help_text="Coded details only; never patient data.")

    class Meta:
        indexes = [
            models.Index(fields=["branch", "id"], name="event_branch_cursor"),
            models.Index(fields=["patient_id", "id"], name="event_patient_history"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    type__in=[
                        "intake.created",
                        "assessment.created",
                        "review.created",
                        "referral.opened",
                        "referral.transitioned",
                        "referral.amended",
                        "ruleset.activated",
                    ]
                ),
                name="event_type_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class IdempotencyRecord(models.Model):  # noqa: DJ008 (no page shows one: it is in no admin)
    """One Idempotency-Key of one caller: a hash of the request it came with and, once done,
    the response to replay. The request body itself is never kept."""

    caller = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    done = models.BooleanField(default=False)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        # Keys are the caller's own: two callers may pick the same one, and a retry finds the
        # first request's record by both.
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller")
        ]


class AuditEvent(WriteOnceModel):
    """Who touched patient data, how, and with what outcome. Append-only: the application
    never updates or deletes a row, and a trigger refuses it outright (clinic migrations 0005
    for PostgreSQL, 0006 for SQLite)."""

    write_once_message = "The audit trail is append-only."

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=200, help_text="user:<name>, api-key:<prefix> or -")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, null=True, blank=True)
    # No index of its own: audit_branch_recent (branch, -at) starts with it. Every audited
    # request writes each index of this table.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    role = models.CharField(max_length=30, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=30, blank=True)
    object_ids = models.JSONField(default=list)
    request_id = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    outcome = models.CharField(
        max_length=10, choices=[("allowed", "Allowed"), ("denied", "Denied"), ("error", "Error")]
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["branch", "-at"], name="audit_branch_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.outcome}"


class AuditPatient(WriteOnceModel):
    """Which patients an audit event concerned: lets admins ask "who saw this patient?".
    Append-only like its event: a link rewritten or removed would hide who saw a patient."""

    write_once_message = AuditEvent.write_once_message

    # No index of its own: audit_patient_once (event, patient_id) starts with it. A list page
    # writes 25 of these rows, so each index costs 25 inserts per request.
    event = models.ForeignKey(
        AuditEvent, on_delete=models.PROTECT, related_name="patients", db_index=False
    )
    patient_id = models.UUIDField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "patient_id"], name="audit_patient_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} · {self.patient_id}"


class PrintLink(models.Model):
    """A signed link that opens one printable page (or its PDF) once, without credentials,
    for 15 minutes: how a front desk hands a care plan or a letter to a browser or a printer.

    Only the token's SHA-256 is stored; the token itself (256 random bits) is in the URL the
    creator was given and nowhere else. The link names its page by `purpose` and the page's own
    id, and carries no patient data: the URL holds only the purpose and the token.
    """

    class Purpose(models.TextChoices):
        CARE_PLAN = "care_plan", "Care plan"
        LETTER = "letter", "Referral letter"

    id = models.BigAutoField(primary_key=True)
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    object_id = models.UUIDField(help_text="The intake (care plan) or referral (letter).")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    # Who made the link: every opening is audited under them.
    created_by = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link {self.id} by {self.created_by}"


class WebhookEndpoint(models.Model):
    """A receiver a clinic admin subscribed to some of the change feed's event types.

    Its signing secrets are stored only encrypted (clinic.webhook_secrets, with a key from the
    environment), so a database dump alone does not reveal them. After a rotation the previous
    secret keeps signing beside the new one until `previous_secret_expires_at`, so receivers
    can switch over without dropping a delivery.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="webhooks")
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list, help_text="Change-feed event types sent here.")
    description = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt has failed (none if the last one succeeded): five days of it
    # disable the endpoint, and while it lasts new deliveries wait rather than each tie up a
    # worker on a receiver that is down (clinic.webhooks).
    failing_since = models.DateTimeField(null=True, blank=True)
    # Since when attempts get no HTTP answer at all, and when the next probe may go.
    unreachable_since = models.DateTimeField(null=True, blank=True)
    probe_after = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["branch", "-created_at"], name="webhook_branch_recent")]

    def __str__(self) -> str:
        return f"{self.url} ({self.branch_id})"


class WebhookDelivery(models.Model):
    """One event to send to one endpoint, and how sending it has gone so far.

    `webhook-id` is the event's id, the same on every attempt, so a receiver drops duplicates.
    A test delivery (`webhook.test`) has no event. Nothing of the receiver's answer is kept
    but its status code and a short error, never a body that could quote patient data back.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    # No index of its own: webhook_delivery_log (endpoint, id) starts with it.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    type = models.CharField(max_length=30)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    # When the current round of attempts began (creation, or a manual resend): the retry
    # schedule counts from here.
    scheduled_from = models.DateTimeField()
    # Due then; none while it waits for a failing endpoint to answer again (see failing_since).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a task was last sent for it: the sweep sends another only if that one looks lost.
    queued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # While a task sends it: until then no other delivery to its endpoint is claimed, so one
    # slow receiver holds at most one worker thread. Cleared once its answer is recorded; a
    # lease that runs out (the sending worker died) frees the endpoint again.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
            # The claim asks, per endpoint, whether a delivery is out: only the few leased
            # rows are in this index, however long the delivery log grows.
            models.Index(
                fields=["endpoint", "leased_until"],
                name="webhook_delivery_leased",
                condition=models.Q(leased_until__isnull=False),
            ),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.type} → {self.endpoint_id} ({self.state})"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the change-feed event's id; a test delivery's own."""
        return str(self.event_id) if self.event_id is not None else f"test-{self.pk}"
