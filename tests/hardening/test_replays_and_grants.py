"""A replay and a grant are authorised again: an Idempotency-Key, a role or a username never
carries more than the caller may have now."""

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from clinic.models import Branch, StaffRole
from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import intake_body, staff_client
from tests.reviews.helpers import create_intake, review_url

TOKENS = "/api/v1/auth/tokens/"
STAFF = "/api/v1/staff-roles/"
CONFIRM_HOME_CARE = {
    "disposition": "home_care",
    "urgency": "routine",
    "service": "self_care",
    "reason": "Seen in clinic.",
}


def _set_role(username: str, role: str) -> None:
    StaffRole.objects.filter(user__username=username).update(role=role)


def _move_to(username: str, branch_slug: str) -> None:
    branch, _ = Branch.objects.get_or_create(slug=branch_slug, defaults={"name": branch_slug})
    StaffRole.objects.filter(user__username=username).update(branch=branch)


# --- Replays ----------------------------------------------------------------------------------


def test_a_clinician_demoted_to_reception_cannot_replay_a_review(api, clinician):
    intake = create_intake(api)
    headers = {"HTTP_IDEMPOTENCY_KEY": "review-once-1"}
    first = post_json(clinician, review_url(intake["id"]), CONFIRM_HOME_CARE, **headers)
    assert first.status_code == 201

    _set_role("dr.north", "reception")
    again = post_json(clinician, review_url(intake["id"]), CONFIRM_HOME_CARE, **headers)

    assert again.status_code == 403
    assert "Idempotent-Replayed" not in again


def test_a_clinician_still_a_clinician_gets_the_replay(api, clinician):
    intake = create_intake(api)
    headers = {"HTTP_IDEMPOTENCY_KEY": "review-once-2"}
    first = post_json(clinician, review_url(intake["id"]), CONFIRM_HOME_CARE, **headers)
    again = post_json(clinician, review_url(intake["id"]), CONFIRM_HOME_CARE, **headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_replayed_intake_is_shaped_for_the_callers_role_now(clinician):
    body = intake_body(external_id="MRN-REPLAY")
    headers = {"HTTP_IDEMPOTENCY_KEY": "intake-once-1"}
    first = post_json(clinician, INTAKES, body, **headers)
    assert first.status_code == 201 and "answers" in first.json()

    _set_role("dr.north", "reception")
    again = post_json(clinician, INTAKES, body, **headers)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert "answers" not in again.json()
    assert again.json()["id"] == first.json()["id"]


def test_a_replay_outside_the_callers_branches_is_not_found(clinician):
    body = intake_body(external_id="MRN-REPLAY-2")
    headers = {"HTTP_IDEMPOTENCY_KEY": "intake-once-2"}
    assert post_json(clinician, INTAKES, body, **headers).status_code == 201

    _move_to("dr.north", "south")
    again = post_json(clinician, INTAKES, body, **headers)

    assert again.status_code == 404
    assert "answers" not in again.json()


def test_a_transition_replay_after_losing_the_branch_is_not_found(clinician):
    from tests.referrals.helpers import PHYSIO_ROUTINE

    intake = create_intake(clinician, "MRN-MOVE", **PHYSIO_ROUTINE)
    path = f"/api/v1/referrals/{intake['referral']['id']}/transitions/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "move-once-1"}
    assert post_json(clinician, path, {"to": "sent"}, **headers).status_code == 200

    _move_to("dr.north", "south")
    again = post_json(clinician, path, {"to": "sent"}, **headers)

    assert again.status_code == 404


# --- Grants -----------------------------------------------------------------------------------


@pytest.fixture
def clinic_admin(db) -> APIClient:
    return staff_client("admin.north", "north", "clinic_admin")


def _grant(client: APIClient, username: str, role: str = "clinician"):
    return post_json(client, STAFF, {"username": username, "role": role})


def test_another_branchs_staff_and_superusers_cannot_be_given_a_role(clinic_admin):
    staff_client("admin.south", "south", "clinic_admin")
    get_user_model().objects.create_superuser("operator", password="not-used")

    other_branch = _grant(clinic_admin, "admin.south")
    superuser = _grant(clinic_admin, "operator")

    assert other_branch.status_code == superuser.status_code == 400
    assert error_fields(other_branch) == {"username"}
    # The same answer whoever holds the name: it does not tell where else they work.
    assert other_branch.json() == superuser.json()
    assert not StaffRole.objects.filter(branch__slug="north", user__username="admin.south")
    assert not StaffRole.objects.filter(user__username="operator").exists()


def test_new_accounts_and_accounts_with_no_role_elsewhere_can_be_given_a_role(clinic_admin):
    get_user_model().objects.create_user("former.staff", password="not-used")
    staff_client("desk.north2", "north", "reception")

    new = _grant(clinic_admin, "brand.new")
    former = _grant(clinic_admin, "former.staff", "reception")
    promoted = _grant(clinic_admin, "desk.north2", "clinician")

    assert (new.status_code, former.status_code, promoted.status_code) == (201, 201, 201)
    assert new.json()["password"] and former.json()["password"] is None
    assert StaffRole.objects.get(user__username="desk.north2").role == "clinician"


def test_an_admin_of_two_branches_may_give_their_own_staff_a_role_in_either(db):
    admin = staff_client("admin.both", "north", "clinic_admin")
    StaffRole.objects.create(
        user=get_user_model().objects.get(username="admin.both"),
        branch=Branch.objects.create(slug="south", name="south"),
        role="clinic_admin",
    )
    staff_client("dr.south", "south", "clinician")

    response = post_json(admin, STAFF, {"username": "dr.south", "role": "clinician",
                                        "branch": "north"})  # fmt: skip

    assert response.status_code == 201
    assert StaffRole.objects.filter(user__username="dr.south").count() == 2


def _token_for(username: str, password: str = "not-used"):
    return post_json(APIClient(), TOKENS, {"username": username, "password": password})


def test_removing_the_last_role_ends_staff_status_and_token_minting(clinic_admin, clinician):
    assert _token_for("dr.north").status_code == 201
    role_id = StaffRole.objects.get(user__username="dr.north").id

    assert clinic_admin.delete(f"{STAFF}{role_id}/").status_code == 204

    user = get_user_model().objects.get(username="dr.north")
    assert not user.is_staff
    assert not AuthToken.objects.filter(user=user).exists()
    assert _token_for("dr.north").status_code == 400
    assert clinician.get(INTAKES).status_code in (401, 403)  # the admin session no longer counts


def test_removing_one_of_two_roles_keeps_staff_status(clinic_admin, db):
    admin = staff_client("admin.both", "north", "clinic_admin")
    user = get_user_model().objects.get(username="admin.both")
    StaffRole.objects.create(
        user=user, branch=Branch.objects.create(slug="south", name="south"), role="clinic_admin"
    )
    role = StaffRole.objects.get(user=user, branch__slug="south")

    assert admin.delete(f"{STAFF}{role.id}/").status_code == 204

    user.refresh_from_db()
    assert user.is_staff


def test_revoking_the_current_token_with_an_api_key_is_refused(api, clinician):
    token = _token_for("dr.north").json()["token"]

    with_key = api.delete(f"{TOKENS}current/")
    with_session = clinician.delete(f"{TOKENS}current/")

    assert with_key.status_code == 403 and with_session.status_code == 403
    assert with_key.json()["code"] == "permission_denied"
    assert AuthToken.objects.count() == 1  # nothing was revoked
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete(f"{TOKENS}current/").status_code == 204
    assert AuthToken.objects.count() == 0
