"""Staff tokens and the reception keys clinic admins manage."""

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from clinic.models import ApiKey
from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import key_client, staff_client

TOKENS = "/api/v1/auth/tokens/"
KEYS = "/api/v1/api-keys/"


@pytest.fixture
def clinic_admin(db):
    return staff_client("admin.north", "north", "clinic_admin")


def _token_for(username: str, password: str = "not-used") -> str:
    response = post_json(APIClient(), TOKENS, {"username": username, "password": password})
    assert response.status_code == 201, response.json()
    return response.json()["token"]


def test_a_staff_member_gets_an_expiring_token_stored_only_as_a_digest(clinician):
    token = _token_for("dr.north")

    stored = AuthToken.objects.get()
    assert stored.expiry is not None
    assert token not in (stored.digest, stored.token_key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(INTAKES).status_code == 200


def test_a_revoked_token_stops_working(clinician):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {_token_for('dr.north')}")

    assert client.delete(f"{TOKENS}current/").status_code == 204
    assert client.get(INTAKES).status_code == 401


def test_wrong_credentials_get_no_token(clinician):
    response = post_json(APIClient(), TOKENS, {"username": "dr.north", "password": "wrong"})

    assert response.status_code == 400
    assert error_fields(response) == {"password"}
    assert AuthToken.objects.count() == 0


def test_people_without_staff_status_get_no_token(db):
    get_user_model().objects.create_user("patient.portal", password="pw-12345678")

    response = post_json(APIClient(), TOKENS, {"username": "patient.portal",
                                               "password": "pw-12345678"})  # fmt: skip

    assert response.status_code == 400


def test_a_clinic_admin_issues_a_key_shown_once_that_works(clinic_admin):
    issued = post_json(clinic_admin, KEYS, {"name": "desk 3"}).json()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued['key']}")
    assert client.get(INTAKES).status_code == 200
    listed = clinic_admin.get(KEYS).json()["results"]
    assert [item["prefix"] for item in listed] == [issued["prefix"]]
    assert "key" not in listed[0]


def test_revoking_a_key_stops_it_at_once(clinic_admin):
    issued = post_json(clinic_admin, KEYS, {"name": "desk 3"}).json()

    response = post_json(clinic_admin, f"{KEYS}{issued['prefix']}/revoke/", {})

    assert response.json()["revoked"] is True
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued['key']}")
    assert client.get(INTAKES).status_code == 401


def test_rotating_a_key_replaces_it(clinic_admin):
    old = post_json(clinic_admin, KEYS, {"name": "desk 3"}).json()

    new = post_json(clinic_admin, f"{KEYS}{old['prefix']}/rotate/", {})

    assert new.status_code == 201
    assert new.json()["name"] == "desk 3"
    assert new.json()["prefix"] != old["prefix"]
    old_client, new_client = APIClient(), APIClient()
    old_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {old['key']}")
    new_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {new.json()['key']}")
    assert old_client.get(INTAKES).status_code == 401
    assert new_client.get(INTAKES).status_code == 200


def test_admins_see_and_touch_only_their_branchs_keys(clinic_admin, db):
    key_client("south")
    south_key = ApiKey.objects.get(branch__slug="south")

    assert clinic_admin.get(KEYS).json()["count"] == 0
    assert post_json(clinic_admin, f"{KEYS}{south_key.prefix}/revoke/", {}).status_code == 404
    south_key.refresh_from_db()
    assert south_key.revoked is False


@pytest.mark.parametrize("who", ["api", "clinician", "receptionist"])
def test_only_clinic_admins_manage_keys(request, who):
    client = request.getfixturevalue(who)

    assert client.get(KEYS).status_code == 403
    assert post_json(client, KEYS, {"name": "x"}).status_code == 403


STAFF = "/api/v1/staff-roles/"


def test_a_clinic_admin_gives_a_new_person_their_own_login(clinic_admin):
    response = post_json(clinic_admin, STAFF, {"username": "new.physio", "role": "clinician"})

    assert response.status_code == 201
    granted = response.json()
    assert (granted["branch"], granted["role"]) == ("north", "clinician")
    token = _token_for("new.physio", granted["password"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(INTAKES).status_code == 200


def test_removing_a_persons_last_role_ends_their_access(clinic_admin, clinician):
    token = _token_for("dr.north")
    role_id = next(r["id"] for r in clinic_admin.get(STAFF).json()["results"]
                   if r["username"] == "dr.north")  # fmt: skip

    assert clinic_admin.delete(f"{STAFF}{role_id}/").status_code == 204
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(INTAKES).status_code == 401


def test_admins_manage_only_their_own_branchs_staff(clinic_admin, db):
    staff_client("dr.south", "south", "clinician")

    usernames = {r["username"] for r in clinic_admin.get(STAFF).json()["results"]}
    granted = post_json(clinic_admin, STAFF, {"username": "x.y", "role": "reception",
                                              "branch": "south"})  # fmt: skip

    assert "dr.south" not in usernames
    assert granted.status_code == 400
    assert error_fields(granted) == {"branch"}


@pytest.mark.parametrize("who", ["api", "clinician", "receptionist"])
def test_only_clinic_admins_manage_staff(request, who):
    client = request.getfixturevalue(who)

    assert client.get(STAFF).status_code == 403
    assert post_json(client, STAFF, {"username": "x", "role": "clinician"}).status_code == 403
