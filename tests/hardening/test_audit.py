"""The audit trail: every read and write of patient data, and every refused attempt."""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from clinic.models import AuditEvent, AuditPatient
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client, staff_client

AUDIT = "/api/v1/audit-events/"


@pytest.fixture
def clinic_admin(db):
    return staff_client("admin.north", "north", "clinic_admin")


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_create_list_and_detail_are_recorded_with_who_and_which_patient(api):
    created = post_json(api, INTAKES, intake_body(external_id="AUD-1")).json()
    api.get(INTAKES)
    api.get(f"{INTAKES}{created['id']}/")

    for action in ("intake.create", "intake.list", "intake.read"):
        event = _last(action)
        assert event.actor.startswith("api-key:")
        assert event.role == "reception_system"
        assert event.branch.slug == "north"
        assert event.outcome == "allowed"
        assert created["id"] in event.object_ids
        assert [str(p.patient_id) for p in event.patients.all()] == [created["patient"]["id"]]
        assert len(event.request_id) >= 8


def test_a_review_and_a_transition_are_recorded(api, clinician):
    intake = post_json(api, INTAKES, intake_body(trauma="major")).json()
    referral_id = intake["referral"]["id"]
    post_json(api, f"/api/v1/referrals/{referral_id}/transitions/", {"to": "sent"})
    body = {"disposition": "medical_referral", "urgency": "emergency",
            "service": "emergency_department", "reason": "Agree"}  # fmt: skip
    post_json(clinician, f"{INTAKES}{intake['id']}/review/", body)

    transition = _last("referral.transition")
    review = _last("intake.review")
    assert referral_id in transition.object_ids
    assert review.actor == "user:dr.north"
    assert review.role == "clinician"
    assert [str(p.patient_id) for p in review.patients.all()] == [intake["patient"]["id"]]


def test_refused_attempts_are_recorded_as_denied(api, other_api, anonymous, receptionist):
    intake = post_json(api, INTAKES, intake_body()).json()
    other_api.get(f"{INTAKES}{intake['id']}/")
    anonymous.get(INTAKES)
    body = {"disposition": "home_care", "urgency": "routine", "service": "self_care",
            "reason": "x"}  # fmt: skip
    post_json(receptionist, f"{INTAKES}{intake['id']}/review/", body)

    denied = AuditEvent.objects.filter(outcome="denied")
    assert {(e.action, e.status_code) for e in denied} == {
        ("intake.read", 404),
        ("intake.list", 401),
        ("intake.review", 403),
    }
    assert denied.get(status_code=404).object_ids == [intake["id"]]


def test_the_application_cannot_change_or_delete_audit_rows(api):
    api.get(INTAKES)
    event = AuditEvent.objects.get()

    event.action = "forged"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_the_application_cannot_change_or_delete_a_patient_link_either(api):
    post_json(api, INTAKES, intake_body())
    link = AuditPatient.objects.get()

    link.patient_id = uuid.uuid4()
    with pytest.raises(ValueError, match="append-only"):
        link.save()
    with pytest.raises(ValueError, match="append-only"):
        link.delete()


def _trail() -> list[tuple]:
    events = AuditEvent.objects.order_by("id").values_list("id", "action", "outcome", "actor")
    links = AuditPatient.objects.order_by("id").values_list("id", "event_id", "patient_id")
    return [*events, *links]


BULK_CHANGES = {
    "update events": lambda: AuditEvent.objects.update(action="forged"),
    "update one event": lambda: AuditEvent.objects.filter(action="intake.list").update(
        outcome="denied"
    ),
    "delete an event": lambda: AuditEvent.objects.filter(outcome="denied").delete(),
    "update patient links": lambda: AuditPatient.objects.update(patient_id=uuid.uuid4()),
    "delete patient links": lambda: AuditPatient.objects.all().delete(),
}


@pytest.mark.parametrize("change", BULK_CHANGES.values(), ids=BULK_CHANGES.keys())
def test_the_database_refuses_bulk_updates_and_deletes_on_every_database(api, anonymous, change):
    post_json(api, INTAKES, intake_body())  # an event with the patient it concerns
    api.get(INTAKES)
    anonymous.get(INTAKES)  # denied: an event with no patient link to protect it
    before = _trail()

    with pytest.raises((IntegrityError, DatabaseError), match="append-only"), transaction.atomic():
        change()

    assert _trail() == before


def test_the_database_refuses_updates_and_deletes(api):
    post_json(api, INTAKES, intake_body())  # an audit event and the patient it concerns
    for statement in (
        "UPDATE clinic_auditevent SET action = 'forged'",
        "DELETE FROM clinic_auditevent",
        "DELETE FROM clinic_auditpatient",
        "UPDATE clinic_auditpatient SET event_id = event_id",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.get().action == "intake.create"


def test_clinic_admins_read_their_branchs_trail_filtered(api, other_api, clinic_admin):
    created = post_json(api, INTAKES, intake_body(external_id="AUD-2")).json()
    post_json(other_api, INTAKES, intake_body(external_id="AUD-3"))

    everything = clinic_admin.get(AUDIT).json()["results"]
    by_patient = clinic_admin.get(AUDIT, {"patient": created["patient"]["id"]}).json()
    by_action = clinic_admin.get(AUDIT, {"action": "intake.create"}).json()

    assert len({event["branch"] for event in everything}) == 1
    assert all(event["actor"] != "-" for event in everything)
    assert [e["action"] for e in by_patient["results"]] == ["intake.create"]
    assert by_action["count"] == 1


def test_only_clinic_admins_may_read_the_trail(api, clinician, anonymous):
    assert api.get(AUDIT).status_code == 403
    assert clinician.get(AUDIT).status_code == 403
    assert anonymous.get(AUDIT).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_emptying_the_whole_database_still_works_and_leaves_the_trail_guarded():
    # The test runner empties the database this way between transactional tests; on SQLite it
    # deletes rows, which the append-only triggers refuse unless flush lifts them.
    key_client("north").get(INTAKES)

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 0
    key_client("north").get(INTAKES)
    with pytest.raises((IntegrityError, DatabaseError), match="append-only"):
        AuditEvent.objects.update(action="forged")
    assert AuditEvent.objects.get().action == "intake.list"
