"""Writes of triage data: each service is one transaction, and owns its side effects."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from clinic import held_writes
from clinic.callers import Caller, KeyCaller, StaffCaller
from clinic.errors import Conflict, Invalid, PermissionDenied
from clinic.events import feed_batch, record_event
from clinic.scoping import for_caller, get_or_not_found
from clinic.sql import insert_sql
from triage import hooks
from triage.ages import age_on
from triage.decisions import final_decision
from triage.engine import Decision, evaluate
from triage.engine import vocabulary as v
from triage.engine.outcome import Outcome
from triage.models import Assessment, Intake, Patient, Review
from triage.questionnaire import QUESTIONNAIRE_VERSION
from triage.rulesets import active_version


def triage_evaluate(*, date_of_birth: date, answers: Mapping[str, Any], ruleset: str) -> Decision:
    """A decision for today under `ruleset`, computed and not stored."""
    return evaluate(answers, age_on(date_of_birth, timezone.localdate()), ruleset=ruleset)


def _patient_for_intake(*, branch, patient: Mapping[str, Any]) -> Patient:
    candidate = Patient(
        branch=branch,
        external_id=patient["external_id"],
        date_of_birth=patient["date_of_birth"],
        sex=patient["sex"],
    )
    record = _insert_or_keep(candidate)
    if record.id == candidate.id:
        return record
    # The same reference with another birth date is most likely two people mixed up.
    mismatched = {
        name: ["Does not match the patient already held under this external_id."]
        for name in ("date_of_birth", "sex")
        if getattr(record, name) != patient[name]
    }
    if mismatched:
        raise Conflict({"patient": mismatched})
    return record


def _insert_or_keep(candidate: Patient) -> Patient:
    """The candidate, inserted, or the patient already held under its reference; no
    savepoint (get_or_create needs one around its INSERT to survive a concurrent twin)."""
    lookup = {"branch": candidate.branch, "external_id": candidate.external_id}
    if connection.vendor == "postgresql":
        # One statement: the insert, or (on conflict) the row that is there. A twin that
        # committed after this statement began is not in its snapshot: then read it again.
        insert, params = insert_sql([candidate], ignore_conflicts=True)
        table = Patient._meta.db_table
        found = list(
            Patient.objects.raw(
                f"WITH new AS ({insert} RETURNING *) SELECT * FROM new UNION ALL "  # noqa: S608
                f"SELECT * FROM {table} WHERE branch_id = %s AND external_id = %s "
                "AND NOT EXISTS (SELECT 1 FROM new)",
                [*params, candidate.branch.pk, candidate.external_id],
            )
        )
        if found:
            return found[0]
    else:
        Patient.objects.bulk_create([candidate], ignore_conflicts=True)
    return Patient.objects.get(**lookup)


@dataclass(frozen=True)
class IntakeCreated:
    """A new intake with what its response shows, known without reading it back: its
    referral (any model: triage never imports referrals) and its reviews (none yet)."""

    intake: Intake
    referral: Model | None
    reviews: tuple[Review, ...] = ()


def intake_create(
    *, caller: Caller, patient: Mapping[str, Any], answers: Mapping[str, Any]
) -> IntakeCreated:
    """Store an intake, the engine's decision on it and, when the decision sends the patient
    somewhere, its referral: all together, or nothing. The decision is made under the ruleset
    version active for the branch when the intake is submitted, and names it forever."""
    branch = caller.branch
    if branch is None:
        raise Invalid({"branch": ["You act for several branches; use a branch's key."]})
    submitted_at = timezone.now()
    # No savepoint of its own: inside a request's transaction (clinic.idempotency) an error
    # here ends the whole request, which is rolled back with it; the savepoint's two round
    # trips bought nothing.
    with transaction.atomic(savepoint=False), feed_batch():
        record = _patient_for_intake(branch=branch, patient=patient)
        assert record.date_of_birth is not None  # it matches the one given, or this raised
        age = age_on(record.date_of_birth, timezone.localdate(submitted_at))
        version = active_version(branch_id=branch.pk, at=submitted_at)
        decision = evaluate(answers, age, ruleset=version)
        # Held to the end of the transaction (clinic.held_writes): nothing reads them back.
        intake = Intake(
            branch=branch,
            patient=record,
            answers=dict(answers),
            questionnaire_version=QUESTIONNAIRE_VERSION,
            submitted_at=submitted_at,
            api_key=caller.api_key if isinstance(caller, KeyCaller) else None,
            test=isinstance(caller, KeyCaller) and caller.api_key.test,
        )
        decided = decision.as_dict()
        intake.assessment = Assessment(
            intake=intake,
            branch=branch,
            submitted_at=submitted_at,
            disposition=decision.disposition,
            urgency=decision.urgency,
            service=decision.service,
            imaging=decision.imaging,
            startback_risk=decision.startback.risk,
            has_red_flags=bool(decision.red_flags),
            test=intake.test,
            age=age,
            ruleset_version=decision.ruleset_version,
            decision=decided,
        )
        held_writes.insert(intake)
        held_writes.insert(intake.assessment)
        event = partial(record_event, branch=branch, patient_id=record.id, intake_id=intake.id)
        event(type="intake.created", data={"questionnaire_version": QUESTIONNAIRE_VERSION})
        outcome = {k: decided[k] for k in ("disposition", "urgency", "service")}
        event(type="assessment.created", data=outcome)
        referral = None
        if decision.disposition != "home_care":
            referral = hooks.open_referral(
                caller=caller,
                intake=intake,
                outcome=intake.assessment.outcome,
                reasons=decided["reasons"],
                now=submitted_at,
            )
    return IntakeCreated(intake=intake, referral=referral)


def review_validate(
    *, disposition: str, urgency: str, service: str, imaging: str | None = None
) -> None:
    """The clinical rules a review must keep, whoever records it (the API or the admin):
    the service must suit the disposition, and only a medical referral can be urgent or an
    emergency, or recommend imaging. Raises Invalid naming every field that breaks one."""
    errors = {}
    if service not in v.SERVICES_BY_DISPOSITION[disposition]:
        allowed = ", ".join(v.SERVICES_BY_DISPOSITION[disposition])
        errors["service"] = [f"For {disposition}, must be one of: {allowed}."]
    if disposition != "medical_referral" and urgency != "routine":
        errors["urgency"] = ["Only a medical referral can be urgent or an emergency."]
    if disposition != "medical_referral" and (imaging or "none") != "none":
        errors["imaging"] = ["Only a medical referral recommends imaging."]
    if errors:
        raise Invalid(errors)


def review_create(
    *,
    caller: Caller,
    intake_id,
    disposition: str,
    urgency: str,
    service: str,
    imaging: str | None,
    reason: str,
) -> Review:
    """Record a clinician's review; the referral follows the final decision it makes."""
    with transaction.atomic(), feed_batch():
        intake = get_or_not_found(
            for_caller(Intake.objects.select_for_update(of=("self",)), caller).select_related(
                "assessment", "branch"
            ),
            pk=intake_id,
        )
        if not caller.is_clinician_in(intake.branch_id):
            raise PermissionDenied("Only a clinician of this branch may review a decision.")
        assert isinstance(caller, StaffCaller)  # only staff can be clinicians
        assessment = intake.assessment
        before = final_decision(intake)
        active = hooks.lock_active_referral(intake=intake)
        if imaging is None:
            imaging = assessment.imaging if disposition == "medical_referral" else "none"
        outcome = Outcome(disposition, urgency, service, imaging)
        overridden = outcome != assessment.outcome
        review = Review.objects.create(
            intake=intake,
            branch_id=intake.branch_id,
            reviewer=cast(User, caller.user),  # staff sign in as the default User model
            disposition=disposition,
            urgency=urgency,
            service=service,
            imaging=imaging,
            reason=reason,
            overridden=overridden,
            created_at=timezone.now(),
        )
        record_event(
            branch=intake.branch,
            type="review.created",
            patient_id=intake.patient_id,
            intake_id=intake.id,
            review_id=review.id,
            data={"disposition": disposition, "urgency": urgency, "service": service,
                  "overridden": overridden},
        )  # fmt: skip
        hooks.follow_review(
            caller=caller,
            intake=intake,
            active=active,
            decision_changed=before.outcome != outcome,
            outcome=outcome,
            reasons=assessment.decision["reasons"],
            note=f"Clinician review: {reason}",
        )
    return review
