"""The permission matrix: every operation of the OpenAPI schema, for every kind of caller, on
its own branch's records and on another branch's.

The world of each case: two branches, `north` and `south`, each with an intake that opened a
referral (so an intake, a patient and a referral id) and a spare reception key (a prefix).
Every caller but the superuser belongs to `north`; a superuser acts for every branch.
A new endpoint without a row in `OPERATIONS` fails `test_the_matrix_covers_every_operation`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from clinic import webhooks
from clinic.models import ApiKey, Branch, Event, StaffRole, WebhookDelivery, WebhookEndpoint
from clinic.services import api_key_create
from referrals.models import Referral, ReferralHistory
from tests.api.helpers import error_fields, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.rulesets.helpers import finished_replay
from triage.models import Assessment, Intake, Patient, Replay, Review, RulesetActivation

ROLES = ("anonymous", "reception_key", "reception", "clinician", "clinic_admin",
         "safety_officer", "superuser")  # fmt: skip
GOVERNANCE = ("clinician", "clinic_admin", "safety_officer")
NORTH_ROLES = ("reception_key", "reception", "clinician", "clinic_admin", "safety_officer")
OWN, OTHER = "own", "other"

OPENS_A_REFERRAL = {"trauma": "major"}  # medical_referral / emergency: opens a referral
UNCHANGED = ("medical_referral/emergency", "medical_referral/emergency", 1)  # MTX-<branch>
REVIEW_BODY = {
    "disposition": "medical_referral",
    "urgency": "emergency",
    "service": "emergency_department",
    "reason": "ok",
}
ERROR_KEYS = {"status", "code", "message", "errors"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every case signs a new staff member in; a slow password hash would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The world --------------------------------------------------------------------------------


@dataclass
class BranchRecords:
    branch: Branch
    intake_id: str
    patient_id: str
    referral_id: str
    key_prefix: str  # a spare reception key of the branch, to revoke or rotate
    staff_role_id: int  # a spare staff member's role in the branch, to remove
    webhook_id: str  # a webhook of the branch, and a delivery of it
    delivery_id: int
    replay_id: str  # a finished replay of the branch's history


@dataclass
class World:
    north: BranchRecords
    south: BranchRecords
    desks: dict[str, APIClient] = field(default_factory=dict)  # each branch's reception key

    def records(self, scope: str | None) -> BranchRecords:
        return self.south if scope == OTHER else self.north


def _branch_records(desk: APIClient, slug: str) -> BranchRecords:
    body = intake_body(external_id=f"MTX-{slug}", **OPENS_A_REFERRAL)
    response = post_json(desk, "/api/v1/intakes/", body)
    assert response.status_code == 201, response.content
    intake = response.json()
    assert intake["referral"] is not None, "these answers were expected to open a referral"
    spare, _ = api_key_create(branch_slug=slug, name=f"{slug} spare")
    staff_client(f"spare.{slug}", slug, "reception")
    endpoint, _ = webhooks.webhook_create(
        branch=Branch.objects.get(slug=slug),
        url="http://127.0.0.1:9/hook",
        event_types=["intake.created"],
        description="",
        created_by="test",
    )
    delivery = webhooks.webhook_send_test(endpoint=endpoint)  # its task never runs here
    return BranchRecords(
        branch=Branch.objects.get(slug=slug),
        intake_id=intake["id"],
        patient_id=intake["patient"]["id"],
        referral_id=intake["referral"]["id"],
        key_prefix=spare.prefix,
        staff_role_id=StaffRole.objects.get(user__username=f"spare.{slug}").pk,
        webhook_id=str(endpoint.pk),
        delivery_id=delivery.pk,
        replay_id=str(finished_replay(slug, started_by=None, matrix=[UNCHANGED]).id),
    )


def build_world() -> World:
    desks = {slug: key_client(slug) for slug in ("north", "south")}
    return World(
        north=_branch_records(desks["north"], "north"),
        south=_branch_records(desks["south"], "south"),
        desks=desks,
    )


def client_for(role: str, world: World) -> APIClient:
    if role == "anonymous":
        return APIClient()
    if role == "reception_key":
        return world.desks["north"]
    if role in ("reception", "clinician", "clinic_admin", "safety_officer"):
        return staff_client(f"{role}.north", "north", role)
    if role == "superuser":
        user = get_user_model().objects.create_superuser("root", email="", password=None)
        client = APIClient()
        client.force_login(user)
        return client
    raise ValueError(role)


def stored_state() -> tuple:
    """Everything a request of this matrix could write (the audit trail aside: refusals are
    recorded there on purpose)."""
    return (
        sorted(Intake.objects.values_list("id", "branch_id", "patient_id")),
        sorted(Patient.objects.values_list("id", "branch_id", "external_id")),
        Assessment.objects.count(),
        sorted(Referral.objects.values_list("id", "status", "version")),
        ReferralHistory.objects.count(),
        Review.objects.count(),
        Event.objects.count(),
        sorted(ApiKey.objects.values_list("prefix", "revoked")),
        AuthToken.objects.count(),
        sorted(RulesetActivation.objects.values_list("id", "branch_id", "version")),
        sorted(WebhookEndpoint.objects.values_list("id", "secret_encrypted", "url")),
        sorted(WebhookDelivery.objects.values_list("id", "state", "attempts", "scheduled_from")),
        sorted(Replay.objects.values_list("id", "branch_id", "status")),
    )


# Expected statuses ------------------------------------------------------------------------

Expect = Callable[[str, str | None], int]


def everyone(status: int) -> Expect:
    return lambda role, scope: status


def signed_in(status: int) -> Expect:
    return lambda role, scope: 401 if role == "anonymous" else status


def branch_bound(status: int) -> Expect:
    """Own branch: `status`; another branch: 404 (superusers act for both)."""

    def expect(role: str, scope: str | None) -> int:
        if role == "anonymous":
            return 401
        if role == "superuser" or scope != OTHER:
            return status
        return 404

    return expect


def admins_only(status: int, *, superuser: int | None = None, other: int = 404) -> Expect:
    """Clinic admins (and superusers) only: 403 for everyone else signed in."""

    def expect(role: str, scope: str | None) -> int:
        if role == "anonymous":
            return 401
        if role == "superuser":
            return status if superuser is None else superuser
        if role != "clinic_admin":
            return 403
        return other if scope == OTHER else status

    return expect


def roles_only(status: int, roles: tuple[str, ...]) -> Expect:
    """Only `roles` of the branch (and superusers, who act as clinic admins): 403 for everyone
    else signed in."""

    def expect(role: str, scope: str | None) -> int:
        if role == "anonymous":
            return 401
        return status if role in (*roles, "superuser") else 403

    return expect


def activation_expect(role: str, scope: str | None) -> int:
    """Safety officers only; a superuser acts as a clinic admin, who may not activate."""
    return {"anonymous": 401, "safety_officer": 201}.get(role, 403)


def replay_start_expect(role: str, scope: str | None) -> int:
    """The branch's governance readers; a superuser acts for both branches, so must name one."""
    if role == "anonymous":
        return 401
    if role == "superuser":
        return 400
    return 202 if role in GOVERNANCE else 403


def replay_read_expect(role: str, scope: str | None) -> int:
    """The branch's governance readers (another branch's replay: 404), and superusers."""
    if role == "anonymous":
        return 401
    if role == "superuser":
        return 200
    if role not in GOVERNANCE:
        return 403
    return 404 if scope == OTHER else 200


def intake_create_expect(role: str, scope: str | None) -> int:
    return {"anonymous": 401, "superuser": 400}.get(role, 201)


def review_expect(role: str, scope: str | None) -> int:
    if role == "anonymous":
        return 401
    if role == "superuser":
        return 201
    if scope == OTHER:
        return 404
    return 201 if role in ("clinician", "clinic_admin") else 403


# Checks beyond the status -----------------------------------------------------------------


def listed(response, key: str = "id") -> set[str]:
    return {str(item[key]) for item in response.json()["results"]}


def _sees(role: str, own: Any, other: Any, seen: set) -> None:
    assert own in seen
    if role == "superuser":
        assert other in seen
    else:
        assert other not in seen, f"{role} of north sees a south record"


def check_intake_list(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        _sees(role, world.north.intake_id, world.south.intake_id, listed(response))


def check_referral_list(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        _sees(role, world.north.referral_id, world.south.referral_id, listed(response))


def check_event_feed(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        _sees(role, world.north.intake_id, world.south.intake_id, listed(response, "intake_id"))


def check_key_list(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        _sees(role, world.north.key_prefix, world.south.key_prefix, listed(response, "prefix"))


def check_audit_list(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        branches = {item["branch"] for item in response.json()["results"]}
        _sees(role, world.north.branch.pk, world.south.branch.pk, branches)


def check_intake_create(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 201:
        created = Intake.objects.get(pk=response.json()["id"])
        assert created.branch_id == world.north.branch.pk
    elif response.status_code == 400:
        assert error_fields(response) == {"branch"}


def check_transition(world: World, role: str, scope: str | None, response) -> None:
    referral = Referral.objects.get(pk=world.records(scope).referral_id)
    assert referral.status == ("sent" if response.status_code == 200 else "open")


def check_review(world: World, role: str, scope: str | None, response) -> None:
    reviews = Review.objects.filter(intake_id=world.records(scope).intake_id).count()
    assert reviews == (1 if response.status_code == 201 else 0)


def check_revoke(world: World, role: str, scope: str | None, response) -> None:
    key = ApiKey.objects.get(prefix=world.records(scope).key_prefix)
    assert key.revoked is (response.status_code == 200)


def check_rotate(world: World, role: str, scope: str | None, response) -> None:
    records = world.records(scope)
    key = ApiKey.objects.get(prefix=records.key_prefix)
    assert key.revoked is (response.status_code == 201)
    if response.status_code == 201:
        new = ApiKey.objects.get(prefix=response.json()["prefix"])
        assert new.branch_id == records.branch.pk


def check_activation_list(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        branches = {item["branch"] for item in response.json()["results"]}
        _sees(role, world.north.branch.slug, world.south.branch.slug, branches)


def check_activation(world: World, role: str, scope: str | None, response) -> None:
    activated = RulesetActivation.objects.filter(version="2026.2", activated_by__isnull=False)
    assert activated.exists() is (response.status_code == 201)
    if response.status_code == 201:
        assert activated.get().branch_id == world.north.branch.pk


def check_webhook_list(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 200:
        _sees(role, world.north.webhook_id, world.south.webhook_id, listed(response))


def check_webhook_create(world: World, role: str, scope: str | None, response) -> None:
    if response.status_code == 201:
        created = WebhookEndpoint.objects.get(pk=response.json()["id"])
        assert created.branch_id == world.north.branch.pk


def check_replay_start(world: World, role: str, scope: str | None, response) -> None:
    started = Replay.objects.exclude(pk__in=[world.north.replay_id, world.south.replay_id])
    if response.status_code == 202:
        assert started.get().branch_id == world.north.branch.pk
    else:
        assert not started.exists()
        if response.status_code == 400:
            assert error_fields(response) == {"branch"}


def check_token_request(world: World, role: str, scope: str | None, response) -> None:
    assert error_fields(response) == {"password"}


# The operations ---------------------------------------------------------------------------

Body = Callable[[World], Any]


@dataclass(frozen=True)
class Operation:
    expect: Expect
    target: str | None = None  # what the path's id names: intake, patient, referral or key
    body: Body | None = None
    check: Callable[[World, str, str | None, Any], None] | None = None


def _new_intake(world: World) -> dict:
    return intake_body(external_id="MTX-NEW-1", **OPENS_A_REFERRAL)


def _evaluate(world: World) -> dict:
    return intake_body(external_id="MTX-EVAL", **OPENS_A_REFERRAL)


def _activation(world: World) -> dict:
    """North's finished replay (a Replay row as the replay worker leaves one, from the command
    line: anyone may activate with it), with nothing to acknowledge."""
    return {"replay": world.north.replay_id}


V1 = "/api/v1"
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/healthz", "get"): Operation(everyone(200)),
    (f"{V1}/auth/tokens/", "post"): Operation(
        everyone(400),
        body=lambda world: {"username": "clinician.north", "password": "wrong-password"},
        check=check_token_request,
    ),
    # Every caller of the matrix holds an API key or a browser session, neither of which is a
    # token to revoke (a staff token revokes itself: tests/hardening/test_replays_and_grants.py).
    (f"{V1}/auth/tokens/current/", "delete"): Operation(signed_in(403)),
    (f"{V1}/questionnaire/", "get"): Operation(signed_in(200)),
    (f"{V1}/rules/", "get"): Operation(signed_in(200)),
    (f"{V1}/triage/evaluate/", "post"): Operation(signed_in(200), body=_evaluate),
    (f"{V1}/events/", "get"): Operation(signed_in(200), check=check_event_feed),
    (f"{V1}/intakes/", "post"): Operation(
        intake_create_expect, body=_new_intake, check=check_intake_create
    ),
    (f"{V1}/intakes/", "get"): Operation(signed_in(200), check=check_intake_list),
    (f"{V1}/intakes/{{id}}/", "get"): Operation(branch_bound(200), target="intake"),
    (f"{V1}/intakes/{{id}}/care-plan/", "get"): Operation(branch_bound(200), target="intake"),
    (f"{V1}/intakes/{{id}}/care-plan/print/", "get"): Operation(branch_bound(200), target="intake"),
    (f"{V1}/intakes/{{id}}/care-plan/links/", "post"): Operation(
        branch_bound(201), target="intake"
    ),
    # A signed link needs no credentials: the token is one. The matrix holds no token, so every
    # caller, signed in or not, gets the 404 of a link that does not exist
    # (tests/api/test_print_links.py opens real ones).
    (f"{V1}/print-links/care-plan/{{token}}/", "get"): Operation(everyone(404)),
    (f"{V1}/print-links/letter/{{token}}/", "get"): Operation(everyone(404)),
    (f"{V1}/intakes/{{id}}/review/", "post"): Operation(
        review_expect, target="intake", body=lambda world: dict(REVIEW_BODY), check=check_review
    ),
    (f"{V1}/patients/{{id}}/history/", "get"): Operation(branch_bound(200), target="patient"),
    (f"{V1}/referrals/", "get"): Operation(signed_in(200), check=check_referral_list),
    (f"{V1}/referrals/{{id}}/", "get"): Operation(branch_bound(200), target="referral"),
    (f"{V1}/referrals/{{id}}/letter/", "get"): Operation(branch_bound(200), target="referral"),
    (f"{V1}/referrals/{{id}}/letter/links/", "post"): Operation(
        branch_bound(201), target="referral"
    ),
    (f"{V1}/referrals/{{id}}/transitions/", "post"): Operation(
        branch_bound(200),
        target="referral",
        body=lambda world: {"to": "sent"},
        check=check_transition,
    ),
    (f"{V1}/audit-events/", "get"): Operation(admins_only(200), check=check_audit_list),
    (f"{V1}/api-keys/", "get"): Operation(admins_only(200), check=check_key_list),
    (f"{V1}/api-keys/", "post"): Operation(
        admins_only(201, superuser=400), body=lambda world: {"name": "x"}
    ),
    (f"{V1}/api-keys/{{prefix}}/revoke/", "post"): Operation(
        admins_only(200), target="key", check=check_revoke
    ),
    (f"{V1}/api-keys/{{prefix}}/rotate/", "post"): Operation(
        admins_only(201), target="key", check=check_rotate
    ),
    (f"{V1}/staff-roles/", "get"): Operation(admins_only(200)),
    (f"{V1}/staff-roles/", "post"): Operation(
        admins_only(201, superuser=400),
        body=lambda world: {"username": "new.person", "role": "reception"},
    ),
    (f"{V1}/staff-roles/{{id}}/", "delete"): Operation(admins_only(204), target="staff_role"),
    (f"{V1}/rulesets/", "get"): Operation(signed_in(200)),
    (f"{V1}/rulesets/{{version}}/rules/", "get"): Operation(signed_in(200)),
    (f"{V1}/rulesets/{{version}}/activations/", "post"): Operation(
        activation_expect, body=_activation, check=check_activation
    ),
    (f"{V1}/webhooks/", "get"): Operation(admins_only(200), check=check_webhook_list),
    (f"{V1}/webhooks/", "post"): Operation(
        admins_only(201, superuser=400),
        body=lambda world: {"url": "http://127.0.0.1:9/x", "event_types": ["intake.created"]},
        check=check_webhook_create,
    ),
    (f"{V1}/webhooks/{{id}}/", "get"): Operation(admins_only(200), target="webhook"),
    (f"{V1}/webhooks/{{id}}/", "delete"): Operation(admins_only(204), target="webhook"),
    (f"{V1}/webhooks/{{id}}/rotate-secret/", "post"): Operation(admins_only(201), target="webhook"),
    (f"{V1}/webhooks/{{id}}/test/", "post"): Operation(admins_only(202), target="webhook"),
    (f"{V1}/webhooks/{{id}}/deliveries/", "get"): Operation(admins_only(200), target="webhook"),
    (f"{V1}/webhooks/deliveries/{{id}}/resend/", "post"): Operation(
        admins_only(202), target="delivery"
    ),
    (f"{V1}/rulesets/activations/", "get"): Operation(
        roles_only(200, GOVERNANCE), check=check_activation_list
    ),
    (f"{V1}/rulesets/{{version}}/replays/", "post"): Operation(
        replay_start_expect, check=check_replay_start
    ),
    (f"{V1}/replays/{{id}}/", "get"): Operation(replay_read_expect, target="replay"),
    (f"{V1}/replays/{{id}}/changes/", "get"): Operation(replay_read_expect, target="replay"),
    (f"{V1}/replays/{{id}}/report/", "get"): Operation(replay_read_expect, target="replay"),
}


def _cases() -> list:
    cases = []
    for (path, method), operation in OPERATIONS.items():
        scopes = (OWN, OTHER) if operation.target else (None,)
        for role in ROLES:
            for scope in scopes:
                name = f"{method.upper()} {path} {role}" + (f" {scope}" if scope else "")
                cases.append(pytest.param(path, method, role, scope, id=name))
    return cases


def url_for(path: str, operation: Operation, world: World, scope: str | None) -> str:
    path = path.replace("{version}", "2026.2")  # versions are no branch's
    if operation.target is None:
        return path
    records = world.records(scope)
    ids = {
        "intake": records.intake_id,
        "patient": records.patient_id,
        "referral": records.referral_id,
        "key": records.key_prefix,
        "staff_role": records.staff_role_id,
        "webhook": records.webhook_id,
        "delivery": records.delivery_id,
        "replay": records.replay_id,
    }
    value = str(ids[operation.target])
    return path.replace("{id}", value).replace("{prefix}", value)


def schema_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    methods = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}
    return {(path, method) for path, item in paths.items() for method in item if method in methods}


def assert_error_format(response) -> None:
    body = response.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == response.status_code
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], list) and body["errors"]
    for error in body["errors"]:
        assert {"field", "code", "message"} <= set(error), error


# The matrix -------------------------------------------------------------------------------


def test_the_matrix_covers_every_operation():
    schema, covered = schema_operations(), set(OPERATIONS)

    assert not schema - covered, f"operations without a policy: {sorted(schema - covered)}"
    assert not covered - schema, f"policies for no operation: {sorted(covered - schema)}"
    assert covered == schema


def test_every_operation_is_tried_for_every_role_and_branch():
    tried = {(case.values[0], case.values[1], case.values[2], case.values[3]) for case in _cases()}
    for (path, method), operation in OPERATIONS.items():
        scopes = (OWN, OTHER) if operation.target else (None,)
        for role in ROLES:
            for scope in scopes:
                assert (path, method, role, scope) in tried


@pytest.mark.parametrize(("path", "method", "role", "scope"), _cases())
def test_permission_matrix(db, path: str, method: str, role: str, scope: str | None):
    operation = OPERATIONS[(path, method)]
    world = build_world()
    client = client_for(role, world)
    url = url_for(path, operation, world, scope)
    before = stored_state()

    send = getattr(client, method)
    if operation.body is not None:
        response = send(url, operation.body(world), format="json")
    elif method == "post":
        response = send(url, {}, format="json")
    else:
        response = send(url)

    expected = operation.expect(role, scope)
    assert response.status_code == expected, (
        f"{method.upper()} {url} as {role} ({scope or 'no object'}): expected {expected}, "
        f"got {response.status_code}: {response.content[:300]!r}"
    )
    if response.status_code in (401, 403, 404):
        assert_error_format(response)
    if response.status_code >= 400:
        assert stored_state() == before, "a refused request changed stored data"
    if operation.check is not None:
        operation.check(world, role, scope, response)


# Server-owned fields in request bodies ----------------------------------------------------

SERVER_OWNED = {
    "branch": "south",
    "status": "completed",
    "assessment": {"disposition": "home_care", "urgency": "routine", "service": "self_care"},
    "created_by": "someone.else",
}


@pytest.mark.parametrize("where", ["top", "patient"])
@pytest.mark.parametrize("name", list(SERVER_OWNED))
def test_an_intake_refuses_server_owned_fields(db, name: str, where: str):
    world = build_world()
    body = intake_body(external_id="MTX-SMUGGLE", **OPENS_A_REFERRAL)
    (body if where == "top" else body["patient"])[name] = SERVER_OWNED[name]
    before = stored_state()

    response = post_json(world.desks["north"], "/api/v1/intakes/", body)

    assert response.status_code == 400, response.content
    assert error_fields(response) == {name if where == "top" else f"patient.{name}"}
    assert stored_state() == before
    assert not Patient.objects.filter(external_id="MTX-SMUGGLE").exists()


@pytest.mark.parametrize("name", list(SERVER_OWNED))
def test_a_transition_refuses_server_owned_fields(db, name: str):
    world = build_world()
    referral_id = world.north.referral_id
    referral_before = Referral.objects.get(pk=referral_id)
    before = stored_state()

    response = post_json(
        world.desks["north"],
        f"/api/v1/referrals/{referral_id}/transitions/",
        {"to": "sent", name: SERVER_OWNED[name]},
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == {name}
    assert stored_state() == before
    referral = Referral.objects.get(pk=referral_id)
    assert referral.status == "open"
    assert referral.version == referral_before.version


@pytest.mark.parametrize("name", list(SERVER_OWNED))
def test_a_review_refuses_server_owned_fields(db, name: str):
    world = build_world()
    clinician = client_for("clinician", world)
    intake_id = world.north.intake_id
    referral_before = Referral.objects.get(pk=world.north.referral_id)
    before = stored_state()

    response = post_json(
        clinician,
        f"/api/v1/intakes/{intake_id}/review/",
        {**REVIEW_BODY, name: SERVER_OWNED[name]},
    )

    assert response.status_code == 400, response.content
    assert error_fields(response) == {name}
    assert stored_state() == before
    assert not Review.objects.filter(intake_id=intake_id).exists()
    referral = Referral.objects.get(pk=world.north.referral_id)
    assert (referral.status, referral.version) == (referral_before.status, referral_before.version)
