"""What the audit trail used to miss: requests that crash, the admin's reads of patient data
(lists, searches, the patient page, the review page) and ids that cannot be stored."""

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from clinic import audit
from clinic.models import AuditEvent
from tests.admin.helpers import INTAKE_ADMIN, REFERRAL_ADMIN, page, signed_in
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client
from triage.models import Intake, Patient

PATIENT_ADMIN = "/admin/triage/patient/"
QUESTIONNAIRE = "/api/v1/questionnaire/"


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _patients(event: AuditEvent) -> set[str]:
    return {str(link.patient_id) for link in event.patients.all()}


class Crash(RuntimeError):
    pass


def _crash(*args, **kwargs):
    raise Crash


@pytest.fixture
def desk(db):
    """A reception system of `north` whose requests answer 500 rather than raise in the test."""
    client = key_client("north")
    client.raise_request_exception = False
    return client


# A request that crashes -----------------------------------------------------------------------


def test_a_crash_in_an_audited_view_is_recorded_as_an_error_under_its_action(desk, monkeypatch):
    monkeypatch.setattr("triage.services.intake_create", _crash)

    response = post_json(desk, INTAKES, intake_body(external_id="CRASH-1"))

    assert response.status_code == 500
    [event] = _events("intake.create")
    assert (event.outcome, event.status_code) == ("error", 500)
    assert event.actor.startswith("api-key:")
    assert event.branch.slug == "north"
    assert event.role == "reception_system"


def test_a_crash_on_one_object_names_the_object(desk, api, monkeypatch):
    intake = post_json(api, INTAKES, intake_body(trauma="major")).json()
    referral_id = intake["referral"]["id"]
    monkeypatch.setattr("referrals.services.referral_transition", _crash)

    response = post_json(desk, f"/api/v1/referrals/{referral_id}/transitions/", {"to": "sent"})

    assert response.status_code == 500
    [event] = _events("referral.transition")
    assert (event.outcome, event.object_type, event.object_ids) == (
        "error", "referral", [referral_id],
    )  # fmt: skip


def test_a_crash_in_a_view_that_audits_nothing_is_recorded_as_a_request_error(desk, monkeypatch):
    monkeypatch.setattr("triage.api.views.questionnaire", _crash)

    assert desk.get(QUESTIONNAIRE).status_code == 500
    [event] = _events("request.error")
    assert (event.outcome, event.status_code) == ("error", 500)
    assert event.actor.startswith("api-key:")


def test_a_crash_in_the_admin_is_recorded_under_the_person(db, monkeypatch):
    client = signed_in("dr.crash", {"north": "clinician"})
    client.raise_request_exception = False
    monkeypatch.setattr("referrals.admin_dashboard.dashboard", _crash)

    assert client.get("/admin/dashboard/").status_code == 500
    [event] = _events("request.error")
    assert (event.actor, event.outcome, event.branch.slug) == ("user:dr.crash", "error", "north")


def test_a_crash_on_an_admin_record_page_names_the_page_and_the_record(api, monkeypatch):
    post_json(api, INTAKES, intake_body())
    intake = Intake.objects.get()
    client = signed_in("dr.crash", {"north": "clinician"})
    client.raise_request_exception = False
    monkeypatch.setattr("triage.admin.intakes.final_decision", _crash)

    assert client.get(f"{INTAKE_ADMIN}{intake.pk}/change/").status_code == 500
    [event] = _events("admin.intake.view")
    assert (event.outcome, event.object_ids) == ("error", [str(intake.pk)])


def test_dozens_of_crashes_leave_as_many_error_records(desk, monkeypatch):
    monkeypatch.setattr("triage.services.intake_create", _crash)

    for n in range(24):
        post_json(desk, INTAKES, intake_body(external_id=f"CRASH-{n}"))

    assert AuditEvent.objects.filter(outcome="error").count() == 24


def _break_the_transaction(*args, **kwargs):
    # An error escaping an inner block that has no savepoint of its own leaves the outer
    # transaction marked for rollback: no query can run in it any more.
    with transaction.atomic(savepoint=False):
        raise Crash


def test_when_the_crash_left_the_transaction_unusable_the_500_still_stands(
    desk, monkeypatch, caplog
):
    # A read runs in no transaction of its own: here the test's is left unusable.
    monkeypatch.setattr("triage.selectors.intake_list", _break_the_transaction)

    response = desk.get(INTAKES)

    assert response.status_code == 500
    failures = [r for r in caplog.records if r.name == "clinic.audit"]
    assert [r.getMessage() for r in failures] == [
        "The audit record of a failed request could not be written."
    ]


def test_a_write_that_breaks_its_own_transaction_is_still_recorded(desk, monkeypatch):
    # A write runs in a transaction of its own (clinic.idempotency): its rollback leaves the
    # request able to record the failure.
    monkeypatch.setattr("triage.services.intake_create", _break_the_transaction)

    response = post_json(desk, INTAKES, intake_body(external_id="BROKEN-TX-2"))

    assert response.status_code == 500
    [event] = _events("intake.create")
    assert (event.outcome, event.status_code) == ("error", 500)
    assert not Patient.objects.exists()


# The admin's reads ----------------------------------------------------------------------------

REFERENCES = {"LIST-EMERG": {"trauma": "major"}, "LIST-CALLB": {"fever": "unknown"},
              "LIST-HOMEC": {}}  # fmt: skip


@pytest.fixture
def three_patients(api) -> dict[str, str]:
    """{reference: patient id} of three patients of `north`, two of them referred."""
    return {
        ref: post_json(api, INTAKES, intake_body(external_id=ref, **answers)).json()["patient"][
            "id"
        ]
        for ref, answers in REFERENCES.items()
    }


@pytest.fixture
def dr(db):
    return signed_in("dr.reader", {"north": "clinician"})


@pytest.mark.parametrize(
    ("url", "action", "shown"),
    [
        (INTAKE_ADMIN, "admin.intake.list", set(REFERENCES)),
        (REFERRAL_ADMIN, "admin.referral.list", {"LIST-EMERG", "LIST-CALLB"}),
        (PATIENT_ADMIN, "admin.patient.list", set(REFERENCES)),
    ],
)
def test_a_list_is_recorded_with_the_patients_on_the_page(three_patients, dr, url, action, shown):
    html = page(dr, url)

    [event] = _events(action)
    assert {ref for ref in REFERENCES if ref in html} == shown
    assert _patients(event) == {three_patients[ref] for ref in shown}
    assert (event.actor, event.outcome, event.branch.slug) == ("user:dr.reader", "allowed", "north")
    assert len(event.object_ids) == len(shown)


@pytest.mark.parametrize(
    ("url", "action"),
    [(INTAKE_ADMIN, "admin.intake.list"), (REFERRAL_ADMIN, "admin.referral.list"),
     (PATIENT_ADMIN, "admin.patient.list")],
)  # fmt: skip
def test_a_search_by_patient_reference_names_the_patient_found(three_patients, dr, url, action):
    page(dr, url, q="LIST-EMERG")
    page(dr, url, q="NOBODY-HERE")

    found, nothing = _events(action)
    assert _patients(found) == {three_patients["LIST-EMERG"]}
    assert _patients(nothing) == set()
    # The term searched is patient data: it is not kept, only who was shown.
    assert "LIST-EMERG" not in str(found.object_ids)


def test_recording_a_list_costs_no_query_per_row(api, dr):
    post_json(api, INTAKES, intake_body(external_id="Q-0"))
    with CaptureQueriesContext(transaction.get_connection()) as one_row:
        page(dr, INTAKE_ADMIN)
    for n in range(1, 8):
        post_json(api, INTAKES, intake_body(external_id=f"Q-{n}"))
    with CaptureQueriesContext(transaction.get_connection()) as eight_rows:
        page(dr, INTAKE_ADMIN)

    assert len(eight_rows) == len(one_row)
    assert len(_patients(_events("admin.intake.list")[-1])) == 8


def test_the_patient_page_is_recorded(three_patients, dr):
    patient_id = three_patients["LIST-HOMEC"]

    page(dr, f"{PATIENT_ADMIN}{patient_id}/change/")
    page(dr, f"{PATIENT_ADMIN}{patient_id}/history/")

    for action in ("admin.patient.view", "admin.patient.history"):
        [event] = _events(action)
        assert _patients(event) == {patient_id}
        assert (event.object_type, event.object_ids) == ("patient", [patient_id])
        assert event.branch.slug == "north"


def test_the_review_page_is_recorded_when_it_is_opened(three_patients, dr):
    intake = Intake.objects.get(patient_id=three_patients["LIST-EMERG"])

    page(dr, f"{INTAKE_ADMIN}{intake.pk}/review/")

    [event] = _events("admin.intake.review_form")
    assert _patients(event) == {three_patients["LIST-EMERG"]}
    assert (event.outcome, event.object_ids) == ("allowed", [str(intake.pk)])


def test_a_receptionist_refused_the_review_page_is_recorded_as_denied(three_patients):
    intake = Intake.objects.get(patient_id=three_patients["LIST-EMERG"])
    desk = signed_in("desk.reader", {"north": "reception"})

    assert desk.get(f"{INTAKE_ADMIN}{intake.pk}/review/").status_code == 403

    [event] = _events("admin.intake.review_form")
    assert (event.outcome, event.status_code) == ("denied", 403)
    assert _patients(event) == {three_patients["LIST-EMERG"]}


def test_the_patient_page_of_another_branch_is_neither_shown_nor_recorded(three_patients):
    south = signed_in("dr.south", {"south": "clinician"})
    patient = Patient.objects.get(pk=three_patients["LIST-HOMEC"])

    response = south.get(f"{PATIENT_ADMIN}{patient.pk}/change/")

    assert response.status_code == 302  # to the admin's index, as for a missing record
    assert _events("admin.patient.view") == []


# Ids that cannot be stored --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", ["nul\x00inside", "\ud800", "x" * 65, "a/b", "", "MRN 0042"], ids=repr
)
def test_an_object_id_that_is_no_plain_token_is_recorded_as_invalid(db, bad_id):
    request = RequestFactory().get("/")

    event = audit.record(
        request=request, action="intake.read", status_code=404, object_ids=["abc-1", bad_id]
    )

    event.refresh_from_db()
    assert event.object_ids == ["abc-1", "(invalid)"]
