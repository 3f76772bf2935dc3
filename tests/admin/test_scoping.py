"""Staff see and act on only their own branches' rows in the admin, as in the API."""

import pytest

from clinic.models import ApiKey, AuditEvent, StaffRole
from referrals.models import Referral
from tests.admin.helpers import INTAKE_ADMIN, REFERRAL_ADMIN, page, signed_in
from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from triage.models import Intake


@pytest.fixture
def two_branches(api, other_api):
    post_json(api, INTAKES, intake_body(external_id="NORTH-1", trauma="major"))
    post_json(other_api, INTAKES, intake_body(external_id="SOUTH-1", trauma="major"))
    return Intake.objects.get(patient__external_id="SOUTH-1")


@pytest.mark.parametrize("role", ["reception", "clinician", "clinic_admin"])
@pytest.mark.parametrize(
    "url", [INTAKE_ADMIN, REFERRAL_ADMIN, "/admin/triage/patient/", "/admin/dashboard/"]
)
def test_lists_show_only_the_persons_branches(two_branches, role, url):
    html = page(signed_in("north.person", {"north": role}), url)

    assert "NORTH-1" in html
    assert "SOUTH-1" not in html


@pytest.mark.parametrize("role", ["reception", "clinician", "clinic_admin"])
def test_another_branchs_record_cannot_be_opened_by_its_address(two_branches, role):
    client = signed_in("north.person", {"north": role})
    south_referral = Referral.objects.get(branch__slug="south")

    for url in (
        f"{INTAKE_ADMIN}{two_branches.pk}/change/",
        f"{INTAKE_ADMIN}{two_branches.pk}/review/",
        f"{REFERRAL_ADMIN}{south_referral.pk}/change/",
    ):
        response = client.get(url, follow=True)
        assert "SOUTH-1" not in response.content.decode()
        assert response.redirect_chain[-1][0] == "/admin/"  # "doesn't exist. Perhaps deleted?"


def test_a_person_in_two_branches_can_filter_by_branch(two_branches):
    client = signed_in("float", {"north": "clinician", "south": "clinician"})

    assert "SOUTH-1" in page(client, INTAKE_ADMIN)
    north_only = page(client, INTAKE_ADMIN, branch="north")

    assert "NORTH-1" in north_only
    assert "SOUTH-1" not in north_only


def test_the_branch_filter_is_hidden_for_a_person_in_one_branch(two_branches):
    html = page(signed_in("dr.one", {"north": "clinician"}), INTAKE_ADMIN)

    assert "?branch=" not in html


def test_reception_sees_the_decision_but_not_the_answers_and_cannot_review(two_branches):
    north = Intake.objects.get(patient__external_id="NORTH-1")
    desk = signed_in("desk", {"north": "reception"})

    html = page(desk, f"{INTAKE_ADMIN}{north.pk}/change/")

    assert 'id="decision"' in html
    assert "Review this decision" not in html
    assert "Did the pain start after an injury?" not in html  # an answer's question
    assert desk.get(f"{INTAKE_ADMIN}{north.pk}/review/").status_code == 403


def test_clinicians_see_the_answers(two_branches):
    north = Intake.objects.get(patient__external_id="NORTH-1")

    html = page(signed_in("dr.n", {"north": "clinician"}), f"{INTAKE_ADMIN}{north.pk}/change/")

    assert "Did the pain start after an injury?" in html
    assert "Major injury" in html


@pytest.mark.parametrize("role", ["reception", "clinician"])
@pytest.mark.parametrize(
    "url", ["/admin/clinic/apikey/", "/admin/clinic/staffrole/", "/admin/clinic/auditevent/",
            "/admin/clinic/event/", "/admin/clinic/branch/", "/admin/auth/user/"],
)  # fmt: skip
def test_keys_staff_and_audit_are_for_clinic_admins_only(two_branches, role, url):
    client = signed_in("staff", {"north": role})

    assert client.get(url).status_code == 403
    assert url not in page(client, "/admin/")


def test_clinic_admins_see_their_branchs_keys_staff_and_audit_only(two_branches):
    client = signed_in("boss", {"north": "clinic_admin"})
    signed_in("south.dr", {"south": "clinician"})
    south_key = ApiKey.objects.get(branch__slug="south")

    keys = page(client, "/admin/clinic/apikey/")
    staff = page(client, "/admin/clinic/staffrole/")
    page(client, f"{INTAKE_ADMIN}{Intake.objects.get(branch__slug='north').pk}/change/")
    audit = page(client, "/admin/clinic/auditevent/")

    assert ApiKey.objects.get(branch__slug="north").prefix in keys
    assert south_key.prefix not in keys
    assert "boss" in staff and "south.dr" not in staff
    assert "admin.intake.view" in audit
    assert client.get(f"/admin/clinic/apikey/{south_key.pk}/change/").status_code == 302


def test_the_audit_trail_cannot_be_changed_in_the_admin(two_branches):
    client = signed_in("boss", {"north": "clinic_admin"})
    event = AuditEvent.objects.filter(branch__slug="north").first()  # the intake's creation

    html = page(client, f"/admin/clinic/auditevent/{event.pk}/change/")

    assert 'name="_save"' not in html
    assert client.post(f"/admin/clinic/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_clinic_admin_adds_staff_to_their_own_branch_only(two_branches):
    client = signed_in("boss", {"north": "clinic_admin"})
    north = Intake.objects.get(branch__slug="north").branch
    south = Intake.objects.get(branch__slug="south").branch

    refused = client.post(
        "/admin/clinic/staffrole/add/",
        {"username": "new.dr", "branch": south.pk, "role": "clinician"},
    )
    added = client.post(
        "/admin/clinic/staffrole/add/",
        {"username": "new.dr", "branch": north.pk, "role": "clinician"},
        follow=True,
    )

    assert refused.status_code == 200  # the form again, with the branch refused
    assert "Select a valid choice" in refused.content.decode()
    assert "one-time password" in added.content.decode()
    assert list(
        StaffRole.objects.filter(user__username="new.dr").values_list("branch__slug", "role")
    ) == [("north", "clinician")]


def test_removing_a_persons_last_role_in_the_admin_ends_their_tokens(two_branches):
    from knox.models import AuthToken

    client = signed_in("boss", {"north": "clinic_admin"})
    signed_in("leaver", {"north": "reception"})
    role = StaffRole.objects.get(user__username="leaver")
    AuthToken.objects.create(user=role.user)

    client.post(f"/admin/clinic/staffrole/{role.pk}/delete/", {"post": "yes"})

    assert not StaffRole.objects.filter(user__username="leaver").exists()
    assert not AuthToken.objects.filter(user=role.user).exists()


def test_a_clinic_admin_issues_a_key_for_their_branch_and_sees_it_once(two_branches):
    client = signed_in("boss", {"north": "clinic_admin"})
    north = Intake.objects.get(branch__slug="north").branch

    response = client.post(
        "/admin/clinic/apikey/add/", {"name": "Desk 2", "branch": north.pk}, follow=True
    )

    assert "The API key for Desk 2 is:" in response.content.decode()
    assert ApiKey.objects.filter(branch=north, name="Desk 2").count() == 1


def test_the_sign_in_page_opens_for_a_visitor(client, db):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_a_signed_in_person_without_a_role_sees_no_branch_data(two_branches):
    client = signed_in("no.role", {})

    assert client.get(INTAKE_ADMIN).status_code == 403
    assert "NORTH-1" not in page(client, "/admin/dashboard/")


def test_a_failure_in_the_admin_shows_a_page_not_json(two_branches, monkeypatch):
    client = signed_in("dr.fail", {"north": "clinician"})
    client.raise_request_exception = False

    def fail(**kwargs):
        raise RuntimeError("NORTH-1 broke")

    monkeypatch.setattr("referrals.admin_dashboard.dashboard", fail)
    response = client.get("/admin/dashboard/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "NORTH-1" not in response.content.decode()
