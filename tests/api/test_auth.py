"""API-key authentication, key storage, the key command and branch isolation."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import ApiKey, Branch
from clinic.services import api_key_create
from tests.api.helpers import EVALUATE, INTAKES, error_fields, post_json
from tests.conftest import intake_body
from triage.models import Intake, Patient

QUESTIONNAIRE = "/api/v1/questionnaire/"
RULES = "/api/v1/rules/"


def client_with(authorization: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def request(client: APIClient, method: str, url: str):
    if method == "post":
        return post_json(client, url, intake_body())
    return client.get(url)


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Api-Key")
    data = response.json()
    assert data["status"] == 401
    assert data["code"] in {"not_authenticated", "authentication_failed"}
    assert error_fields(response) == {"Authorization"}
    for error in data["errors"]:
        assert error["code"] in {"not_authenticated", "authentication_failed"}
        assert error["message"]


API_ENDPOINTS = [
    pytest.param("get", INTAKES, id="list-intakes"),
    pytest.param("get", f"{INTAKES}{uuid.uuid4()}/", id="intake-detail"),
    pytest.param("post", INTAKES, id="create-intake"),
    pytest.param("post", EVALUATE, id="evaluate"),
    pytest.param("get", QUESTIONNAIRE, id="questionnaire"),
    pytest.param("get", RULES, id="rules"),
]


@pytest.fixture
def north_key(db) -> tuple[ApiKey, str]:
    return api_key_create(branch_slug="north", name="north desk")


# No or bad credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), API_ENDPOINTS)
def test_every_api_endpoint_without_a_key_is_401_with_a_challenge(anonymous, db, method, url):
    assert_unauthorized(request(anonymous, method, url))


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", INTAKES, 200),
        ("get", f"{INTAKES}{uuid.uuid4()}/", 404),
        ("post", INTAKES, 201),
        ("post", EVALUATE, 200),
        ("get", QUESTIONNAIRE, 200),
        ("get", RULES, 200),
    ],
    ids=["list-intakes", "intake-detail", "create-intake", "evaluate", "questionnaire", "rules"],
)
def test_every_api_endpoint_answers_a_valid_key(api, method, url, status):
    """The endpoints above are reachable with a key, so their 401 is about the key."""
    response = request(api, method, url)

    assert response.status_code == status, response.content


@pytest.mark.parametrize(("method", "url"), API_ENDPOINTS)
def test_an_unauthenticated_request_stores_nothing(anonymous, db, method, url):
    request(anonymous, method, url)

    assert (Patient.objects.count(), Intake.objects.count()) == (0, 0)


@pytest.mark.parametrize("url", ["/healthz", "/api/schema/", "/api/docs/", "/api/redoc/"])
def test_health_and_documentation_need_no_key(anonymous, db, url):
    response = anonymous.get(url)

    assert response.status_code == 200


def test_health_shows_no_patient_data(anonymous, api):
    post_json(api, INTAKES, intake_body(external_id="MRN-HEALTH"))

    response = anonymous.get("/healthz")

    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "authorization",
    [
        "Api-Key",
        "Api-Key ",
        "Api-Key not-a-real-key",
        "Api-Key abc.def",
        "Bearer x",
        "Basic dXNlcjpwYXNz",
        "Token abcdef",
        "",
    ],
    ids=[
        "keyword-only",
        "keyword-and-space",
        "unknown-key",
        "unknown-prefix",
        "bearer",
        "basic",
        "token",
        "empty",
    ],
)
@pytest.mark.parametrize(("method", "url"), API_ENDPOINTS)
def test_a_malformed_or_unknown_key_is_401(db, north_key, authorization, method, url):
    assert_unauthorized(request(client_with(authorization), method, url))


def test_the_right_prefix_with_a_wrong_secret_is_401(north_key):
    _, key = north_key
    prefix, _, secret = key.partition(".")
    wrong_secret = ("A" if secret[0] != "A" else "B") + secret[1:]

    assert_unauthorized(client_with(f"Api-Key {prefix}.{wrong_secret}").get(INTAKES))
    assert_unauthorized(client_with(f"Api-Key {prefix}.").get(INTAKES))
    assert_unauthorized(client_with(f"Api-Key {prefix}").get(INTAKES))


def test_the_right_key_is_accepted(north_key):
    _, key = north_key

    assert client_with(f"Api-Key {key}").get(INTAKES).status_code == 200


def test_a_revoked_key_is_401(north_key):
    api_key, key = north_key
    client = client_with(f"Api-Key {key}")
    assert client.get(INTAKES).status_code == 200

    api_key.revoked = True
    api_key.save()

    assert_unauthorized(client.get(INTAKES))
    assert_unauthorized(post_json(client, EVALUATE, intake_body()))


def test_an_expired_key_is_401(north_key):
    api_key, key = north_key
    client = client_with(f"Api-Key {key}")
    assert client.get(INTAKES).status_code == 200

    api_key.expiry_date = timezone.now() - timedelta(minutes=1)
    api_key.save()

    assert_unauthorized(client.get(INTAKES))
    assert_unauthorized(post_json(client, EVALUATE, intake_body()))


def test_a_key_expiring_in_the_future_still_works(north_key):
    api_key, key = north_key
    api_key.expiry_date = timezone.now() + timedelta(days=1)
    api_key.save()

    assert client_with(f"Api-Key {key}").get(INTAKES).status_code == 200


def test_a_failed_authentication_does_not_echo_the_key(db):
    marker = "ZZSECRET.VALUE123"

    response = client_with(f"Api-Key {marker}").get(INTAKES)

    assert response.status_code == 401
    assert marker not in response.content.decode()
    assert "ZZSECRET" not in response.content.decode()


# Key storage -------------------------------------------------------------------------------


def test_the_database_never_holds_the_plain_key(db):
    api_key, key = api_key_create(branch_slug="north", name="north desk")
    prefix, dot, secret = key.partition(".")
    assert dot and len(secret) >= 16

    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert row["prefix"] == prefix
    for column, value in row.items():
        assert secret not in str(value), column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")  # noqa: S608
        columns = [description[0] for description in cursor.description]
        for stored in cursor.fetchall():
            for column, value in zip(columns, stored, strict=True):
                assert secret not in str(value), column
                assert key not in str(value), column


def test_each_key_is_different(db):
    _, first = api_key_create(branch_slug="north", name="desk 1")
    _, second = api_key_create(branch_slug="north", name="desk 2")

    assert first != second
    assert first.partition(".")[0] != second.partition(".")[0]


# The create_api_key command ----------------------------------------------------------------


def run_create_api_key(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_api_key_prints_only_the_key_on_its_last_line(db):
    out, err = run_create_api_key("--branch", "east", "--name", "desk")

    lines = out.rstrip("\n").splitlines()
    key = lines[-1]
    assert key == key.strip() and " " not in key
    prefix, dot, secret = key.partition(".")
    assert dot and prefix and secret
    api_key = ApiKey.objects.get(prefix=prefix)
    assert api_key.branch.slug == "east"
    assert api_key.name == "desk"
    assert secret not in err


def test_a_key_from_the_command_authenticates_for_its_branch(db):
    out, _ = run_create_api_key("--branch", "east", "--name", "desk")
    key = out.rstrip("\n").splitlines()[-1]
    client = client_with(f"Api-Key {key}")

    assert client.get(INTAKES).status_code == 200
    created = post_json(client, INTAKES, intake_body(external_id="MRN-EAST"))
    assert created.status_code == 201
    assert Branch.objects.get(slug="east").intakes.count() == 1


def test_create_api_key_creates_the_branch_once_and_reuses_it(db):
    first_out, _ = run_create_api_key("--branch", "east", "--name", "desk")
    second_out, _ = run_create_api_key("--branch", "east", "--name", "kiosk")
    first = first_out.rstrip("\n").splitlines()[-1]
    second = second_out.rstrip("\n").splitlines()[-1]

    assert first != second
    assert Branch.objects.filter(slug="east").count() == 1
    branch = Branch.objects.get(slug="east")
    assert set(branch.api_keys.values_list("name", flat=True)) == {"desk", "kiosk"}
    for key in (first, second):
        assert client_with(f"Api-Key {key}").get(INTAKES).status_code == 200


def test_create_api_key_reuses_a_branch_created_elsewhere(api):
    north = Branch.objects.get(slug="north")

    out, _ = run_create_api_key("--branch", "north", "--name", "second desk")

    key = out.rstrip("\n").splitlines()[-1]
    assert Branch.objects.filter(slug="north").count() == 1
    assert ApiKey.objects.get(prefix=key.partition(".")[0]).branch_id == north.pk


@pytest.mark.parametrize("slug", ["not a slug", "north/leeds", "north.leeds", "", "ñorth!"])
def test_create_api_key_refuses_an_invalid_slug(db, slug):
    with pytest.raises(CommandError):
        run_create_api_key("--branch", slug, "--name", "desk")

    assert Branch.objects.count() == 0
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 51])
def test_create_api_key_refuses_an_empty_or_long_name(db, name):
    with pytest.raises(CommandError):
        run_create_api_key("--branch", "east", "--name", name)

    assert ApiKey.objects.count() == 0


def test_create_api_key_requires_both_options(db):
    with pytest.raises(CommandError):
        run_create_api_key("--name", "desk")
    with pytest.raises(CommandError):
        run_create_api_key("--branch", "east")

    assert ApiKey.objects.count() == 0


# Branch isolation --------------------------------------------------------------------------


@pytest.fixture
def north_intake(api) -> dict:
    response = post_json(api, INTAKES, intake_body(external_id="MRN-NORTH"))
    assert response.status_code == 201
    return response.json()


def test_another_branch_gets_404_for_an_intake(north_intake, other_api):
    response = other_api.get(f"{INTAKES}{north_intake['id']}/")

    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert "MRN-NORTH" not in response.content.decode()


def test_another_branch_does_not_list_an_intake(north_intake, other_api):
    response = other_api.get(INTAKES)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert north_intake["id"] not in response.content.decode()


def test_another_branch_cannot_find_an_intake_by_its_patient(north_intake, other_api):
    response = other_api.get(INTAKES, {"patient": north_intake["patient"]["id"]})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_owning_branch_sees_its_intake(north_intake, api):
    detail = api.get(f"{INTAKES}{north_intake['id']}/")
    listing = api.get(INTAKES)

    assert detail.status_code == 200
    assert detail.json()["id"] == north_intake["id"]
    assert [item["id"] for item in listing.json()["results"]] == [north_intake["id"]]


def test_a_branch_sees_only_its_own_intakes_when_both_have_some(north_intake, api, other_api):
    south = post_json(other_api, INTAKES, intake_body(external_id="MRN-SOUTH")).json()

    north_ids = {item["id"] for item in api.get(INTAKES).json()["results"]}
    south_ids = {item["id"] for item in other_api.get(INTAKES).json()["results"]}

    assert north_ids == {north_intake["id"]}
    assert south_ids == {south["id"]}
    assert api.get(f"{INTAKES}{south['id']}/").status_code == 404


def test_a_revoked_key_of_one_branch_leaves_the_other_working(api, other_api):
    ApiKey.objects.filter(branch__slug="north").update(revoked=True)

    assert api.get(INTAKES).status_code == 401
    assert other_api.get(INTAKES).status_code == 200
