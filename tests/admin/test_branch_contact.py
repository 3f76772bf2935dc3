"""A clinic admin keeps their own branch's contact details (what care plans and letters print)
up to date in the admin; they cannot touch another branch's, nor rename or create branches."""

import pytest

from clinic.models import Branch
from tests.admin.helpers import signed_in

BRANCHES = "/admin/clinic/branch/"
CONTACT = {
    "address": "12 Harbour Street\r\nNorthtown NT1 2AB",
    "phone": "01234 567890",
    "email": "spine@north.example",
    "contact_person": "Sam Okafor",
}


@pytest.fixture
def north_admin(db):
    client = signed_in("admin.north", {"north": "clinic_admin"})
    Branch.objects.create(slug="south", name="South")
    return client


def test_a_clinic_admin_edits_their_branchs_contact_details(north_admin):
    north = Branch.objects.get(slug="north")
    response = north_admin.post(f"{BRANCHES}{north.pk}/change/", {**CONTACT, "name": "Renamed"})
    assert response.status_code == 302, response.content[:500]
    north.refresh_from_db()
    assert north.phone == "01234 567890"
    assert north.contact_person == "Sam Okafor"
    assert north.name == "North"  # the name is read-only for them


def test_a_clinic_admin_sees_only_their_branch(north_admin):
    page = north_admin.get(BRANCHES).content.decode()
    assert "North" in page and "South" not in page
    south = Branch.objects.get(slug="south")
    assert north_admin.get(f"{BRANCHES}{south.pk}/change/").status_code in (302, 403, 404)
    north_admin.post(f"{BRANCHES}{south.pk}/change/", CONTACT)
    assert Branch.objects.get(slug="south").phone == ""


def test_a_clinic_admin_cannot_add_a_branch(north_admin):
    assert north_admin.get(f"{BRANCHES}add/").status_code == 403


def test_a_clinician_cannot_edit_branches(db):
    clinician = signed_in("dr.branch", {"north": "clinician"})
    north = Branch.objects.get(slug="north")
    assert clinician.get(f"{BRANCHES}{north.pk}/change/").status_code in (302, 403, 404)
