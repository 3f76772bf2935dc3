"""The data the fuzzer works against: one branch with every kind of credential and a few
intakes with referrals, so that path parameters can name things that exist."""

from dataclasses import dataclass, field
from unittest import mock

from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework_api_key.crypto import KeyGenerator

from clinic.models import ApiKey, Branch, StaffRole
from clinic.services import api_key_create
from tests.conftest import intake_body

BRANCH = "north"
SCRIPT_USER, SCRIPT_PASSWORD = "fuzz.script", "fuzz-Script-password-7"

# The credentials are fixed strings, made by the libraries' own code with only their random
# parts pinned: schemathesis builds its coverage-phase cases, credentials included, when it
# collects the tests, before the test database exists.
API_KEY_PREFIX, API_KEY_SECRET = "FuzzDesk", "fuzz" * 8
API_KEY = f"{API_KEY_PREFIX}.{API_KEY_SECRET}"
ADMIN_TOKEN = "ad" + "0" * 62
CLINICIAN_TOKEN = "c1" + "0" * 62
SCRIPT_TOKEN = "5c" + "0" * 62  # DELETE /auth/tokens/current/ revokes it: made again each time

# Answers whose decisions differ: home care (no referral), physiotherapy, an emergency.
ANSWERS = [{}, {"pain_duration_days": 60}, {"trauma": "major"}]


def _token(user, token: str) -> None:
    with mock.patch("knox.crypto.create_token_string", return_value=token):
        AuthToken.objects.create(user)


def _staff(username: str, branch: Branch, role: str, password: str | None = None):
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    StaffRole.objects.create(user=user, branch=branch, role=role)
    return user


@dataclass
class World:
    branch: Branch
    admin: object
    clinician: object
    script: object
    intake_ids: list[str] = field(default_factory=list)
    referral_ids: list[str] = field(default_factory=list)
    patient_ids: list[str] = field(default_factory=list)
    key_prefixes: list[str] = field(default_factory=list)
    staff_role_ids: list[int] = field(default_factory=list)

    def restore(self) -> None:
        """Give the fuzzer's own callers back what an earlier example took away, or every
        later example would only get a 401 or 403: the admin's and the clinician's roles
        (DELETE or POST /staff-roles/ change them) and with them their tokens (removing a
        person's last role revokes their tokens), the script user's token (DELETE
        /auth/tokens/current/ revokes it) and the reception key (revoke and rotate)."""
        for user, role in ((self.admin, "clinic_admin"), (self.clinician, "clinician")):
            StaffRole.objects.update_or_create(
                user=user, branch=self.branch, defaults={"role": role}
            )
        for user, token in (
            (self.admin, ADMIN_TOKEN),
            (self.clinician, CLINICIAN_TOKEN),
            (self.script, SCRIPT_TOKEN),
        ):
            if not AuthToken.objects.filter(user=user).exists():
                _token(user, token)
        ApiKey.objects.filter(prefix=API_KEY_PREFIX, revoked=True).update(revoked=False)


def build_world() -> World:
    """Create the data, inside the test's transaction."""
    with (
        mock.patch.object(KeyGenerator, "get_prefix", return_value=API_KEY_PREFIX),
        mock.patch.object(KeyGenerator, "get_secret_key", return_value=API_KEY_SECRET),
    ):
        key_record, key = api_key_create(branch_slug=BRANCH, name="fuzz desk")
    assert key == API_KEY
    branch = key_record.branch
    world = World(
        branch=branch,
        admin=_staff("fuzz.admin", branch, "clinic_admin"),
        clinician=_staff("fuzz.clinician", branch, "clinician"),
        script=_staff(SCRIPT_USER, branch, "reception", SCRIPT_PASSWORD),
    )
    _token(world.admin, ADMIN_TOKEN)
    _token(world.clinician, CLINICIAN_TOKEN)
    _token(world.script, SCRIPT_TOKEN)
    # Spare keys and roles for the operations that revoke, rotate or remove them.
    for name in ("spare desk 1", "spare desk 2"):
        record, _ = api_key_create(branch_slug=BRANCH, name=name)
        world.key_prefixes.append(record.prefix)
    for name in ("fuzz.spare1", "fuzz.spare2"):
        world.staff_role_ids.append(_staff(name, branch, "reception").staff_roles.get().pk)

    # Intakes go in through the API itself, as a reception system sends them.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {API_KEY}")
    for number, answers in enumerate(ANSWERS):
        body = intake_body(external_id=f"FUZZ-{number}", **answers)
        response = client.post("/api/v1/intakes/", body, format="json")
        assert response.status_code == 201, response.content
        intake = response.json()
        world.intake_ids.append(intake["id"])
        world.patient_ids.append(intake["patient"]["id"])
        if intake["referral"] is not None:
            world.referral_ids.append(intake["referral"]["id"])
    assert len(world.referral_ids) == 2
    return world
