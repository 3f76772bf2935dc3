"""Password guessing is stopped: after a few failed sign-ins for one account, or from one
address, sign-ins are refused for a while, even with the right password. The same guard
stands before POST /api/v1/auth/tokens/ and the admin's sign-in page, and every failed or
refused sign-in is in the audit trail."""

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from clinic.models import AuditEvent, Branch, StaffRole
from tests.api.helpers import error_fields, post_json
from tests.conftest import staff_client

TOKENS = "/api/v1/auth/tokens/"
AUDIT = "/api/v1/audit-events/"
ADMIN_LOGIN = "/admin/login/"
RIGHT = "right-horse-battery-staple"
LIMIT = 3


@pytest.fixture(autouse=True)
def low_limits(settings):
    settings.SIGN_IN_MAX_FAILURES_PER_ACCOUNT = LIMIT
    settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS = 2 * LIMIT
    settings.SIGN_IN_LOCKOUT_MINUTES = 15
    # The request throttle is not what these tests are about.
    settings.THROTTLE_RATES = {"caller": "10000/min", "anonymous": "10000/min"}


def person(username: str, branch_slug: str = "north", role: str = "clinician"):
    branch, _ = Branch.objects.get_or_create(slug=branch_slug, defaults={"name": branch_slug})
    user = get_user_model().objects.create_user(username, password=RIGHT, is_staff=True)
    StaffRole.objects.create(user=user, branch=branch, role=role)
    return user


def api_sign_in(username: str, password: str, address: str = "192.0.2.1"):
    body = {"username": username, "password": password}
    return post_json(APIClient(REMOTE_ADDR=address), TOKENS, body)


def admin_sign_in(username: str, password: str, address: str = "192.0.2.1"):
    client = Client(REMOTE_ADDR=address)
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


# Both doors: the API and the admin ----------------------------------------------------------


class Door(NamedTuple):
    """A way to sign in, and what it answers."""

    sign_in: Callable[..., Any]
    failed: int  # the status of a wrong password
    signed_in: int  # the status of a sign-in let through
    refusal_says_why: Callable[[Any], None]  # this door's own checks of a refusal (429)


def api_refusal_says_why(refused) -> None:
    body = refused.json()
    assert set(body) == {"status", "code", "message", "errors"}
    assert body["status"] == 429
    assert "dr.north" not in refused.content.decode()  # never echoes what was sent


def admin_refusal_says_why(refused) -> None:
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in refused.client.session


DOORS = [
    pytest.param(Door(api_sign_in, 400, 201, api_refusal_says_why), id="api"),
    # The admin answers a wrong password with its page again, showing the error, and a sign-in
    # it lets through with a redirect.
    pytest.param(Door(admin_sign_in, 200, 302, admin_refusal_says_why), id="admin"),
]


@pytest.mark.parametrize("door", DOORS)
def test_an_account_is_refused_after_its_failures_even_with_the_right_password(db, door):
    person("dr.north")
    # Each guess from a new address: the account is counted, wherever the guesses come from.
    wrong = [door.sign_in("dr.north", f"guess-{n}", f"198.51.100.{n}") for n in range(LIMIT)]
    refused = door.sign_in("dr.north", RIGHT, "198.51.100.99")

    assert [r.status_code for r in wrong] == [door.failed] * LIMIT
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    door.refusal_says_why(refused)
    # Another account is not affected.
    person("dr.other")
    assert door.sign_in("dr.other", RIGHT, "198.51.100.99").status_code == door.signed_in


@pytest.mark.parametrize("door", DOORS)
def test_an_address_is_refused_after_its_failures_whatever_the_account(db, door):
    person("dr.north")
    wrong = [door.sign_in(f"nobody-{n}", "guess", "192.0.2.50") for n in range(2 * LIMIT)]

    assert [r.status_code for r in wrong] == [door.failed] * (2 * LIMIT)
    assert door.sign_in("dr.north", RIGHT, "192.0.2.50").status_code == 429
    assert door.sign_in("dr.north", RIGHT, "192.0.2.51").status_code == door.signed_in


# The API ------------------------------------------------------------------------------------


def test_a_successful_sign_in_clears_the_accounts_failures(db):
    person("dr.north")
    for n in range(LIMIT - 1):
        api_sign_in("dr.north", f"guess-{n}")
    assert api_sign_in("dr.north", RIGHT).status_code == 201

    for n in range(LIMIT - 1):
        assert api_sign_in("dr.north", f"again-{n}").status_code == 400
    assert api_sign_in("dr.north", RIGHT).status_code == 201


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_one_locked(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    person("dr.north")

    def through_proxy(username: str, password: str, forged: str, seen: str):
        client = APIClient(REMOTE_ADDR="10.0.0.2")  # the proxy itself
        body = {"username": username, "password": password}
        return post_json(client, TOKENS, body, HTTP_X_FORWARDED_FOR=f"{forged}, {seen}")

    for n in range(2 * LIMIT):
        through_proxy(f"nobody-{n}", "guess", f"203.0.113.{n}", "192.0.2.9")

    assert through_proxy("dr.north", RIGHT, "203.0.113.200", "192.0.2.9").status_code == 429
    assert through_proxy("dr.north", RIGHT, "192.0.2.9", "192.0.2.10").status_code == 201


def test_a_failed_api_sign_in_is_recorded_as_refused_for_the_branch_to_see(db):
    person("dr.north")
    clinic_admin = staff_client("admin.north", "north", "clinic_admin")

    response = api_sign_in("dr.north", "wrong")

    assert response.status_code == 400
    assert error_fields(response) == {"password"}
    event = AuditEvent.objects.get(action="auth.token")
    assert (event.actor, event.outcome, event.status_code) == ("user:dr.north", "denied", 400)
    assert event.user is None  # the name was only tried
    assert event.branch.slug == "north"
    seen = clinic_admin.get(AUDIT, {"action": "auth.token", "outcome": "denied"}).json()
    assert [e["actor"] for e in seen["results"]] == ["user:dr.north"]


def test_a_refused_api_sign_in_is_recorded_too(db):
    person("dr.north")
    for n in range(LIMIT + 1):
        api_sign_in("dr.north", f"guess-{n}")

    events = AuditEvent.objects.filter(action="auth.token").order_by("id")
    assert [(e.status_code, e.outcome, e.actor) for e in events] == [
        *[(400, "denied", "user:dr.north")] * LIMIT,
        (429, "denied", "user:dr.north"),
    ]


def test_a_name_that_is_no_account_is_recorded_without_a_branch(db):
    api_sign_in("no.such.person", "wrong")

    event = AuditEvent.objects.get(action="auth.token")
    assert (event.actor, event.outcome, event.branch) == ("user:no.such.person", "denied", None)


def test_a_name_no_account_could_have_is_not_stored_as_sent(db):
    api_sign_in("MRN 0042 <script>", "wrong")

    event = AuditEvent.objects.get(action="auth.token")
    assert (event.actor, event.outcome) == ("user:(invalid)", "denied")


# The admin ----------------------------------------------------------------------------------


def test_the_admin_and_the_api_count_the_same_failures(db):
    person("dr.north")
    for n in range(LIMIT):
        admin_sign_in("dr.north", f"guess-{n}", f"198.51.100.{n}")

    assert api_sign_in("dr.north", RIGHT, "198.51.100.99").status_code == 429


def test_each_failed_admin_sign_in_leaves_an_audit_record(db):
    person("dr.north")
    for n in range(LIMIT + 1):
        admin_sign_in("dr.north", f"guess-{n}")
    admin_sign_in("nobody", "guess", "192.0.2.77")

    events = AuditEvent.objects.filter(action="admin.sign_in").order_by("id")
    assert [(e.actor, e.status_code, e.outcome) for e in events] == [
        *[("user:dr.north", 200, "denied")] * LIMIT,
        ("user:dr.north", 429, "denied"),
        ("user:nobody", 200, "denied"),
    ]
    assert {e.branch.slug for e in events[: LIMIT + 1]} == {"north"}
    assert events.last().branch is None
    assert all(e.user is None for e in events)


def test_a_successful_admin_sign_in_is_not_a_failure(db):
    person("dr.north")

    assert admin_sign_in("dr.north", RIGHT).status_code == 302
    assert not AuditEvent.objects.filter(action="admin.sign_in").exists()


def test_superusers_see_the_failed_sign_ins_of_no_branch_in_the_admin(db):
    api_sign_in("no.such.person", "wrong")
    superuser = get_user_model().objects.create_superuser("root", password=RIGHT)
    client = Client()
    client.force_login(superuser)
    north_admin = Client()
    north_admin.force_login(person("admin.north", role="clinic_admin"))
    event = AuditEvent.objects.get(action="auth.token")

    listed = client.get("/admin/clinic/auditevent/", {"q": "user:no.such.person"})
    opened = client.get(f"/admin/clinic/auditevent/{event.pk}/change/")

    row_link = f"/admin/clinic/auditevent/{event.pk}/change/"
    assert listed.status_code == 200
    assert row_link in listed.content.decode()
    assert opened.status_code == 200
    # A clinic admin sees their own branches' trail only.
    not_theirs = north_admin.get("/admin/clinic/auditevent/", {"q": "user:no.such.person"})
    assert not_theirs.status_code == 200
    assert row_link not in not_theirs.content.decode()
    assert north_admin.get(row_link).status_code == 302  # to the admin's index
