"""Two application servers on different ports sharing one PostgreSQL and one Redis, as the
service runs behind a load balancer: idempotency, throttling and referral transitions hold
across them, and parallel writes lose and duplicate nothing."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
from django.db import connection

from clinic.services import api_key_create, api_key_revoke
from referrals.models import Referral, ReferralHistory
from tests.conftest import intake_body
from tests.multiprocess.servers import app_server, call, server_env
from triage.models import Intake, Patient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

INTAKES = "/api/v1/intakes/"
THROTTLE_LIMIT = 40  # per caller per minute, on both servers: low enough to reach in a test


@pytest.fixture
def servers(tmp_path):
    """Two gunicorn servers on the test database and a fresh Redis key space."""
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = server_env(
        DATABASE_URL=database_url,
        CACHE_KEY_PREFIX=f"mp-{uuid.uuid4().hex}",
        THROTTLE_CALLER_RATE=f"{THROTTLE_LIMIT}/min",
        CLINIC_VAR_DIR=str(tmp_path),
    )
    log = tmp_path / "servers.log"
    with app_server(env, log=log) as first, app_server(env, log=log) as second:
        yield first, second
    assert "Traceback" not in log.read_text()


def key(name: str) -> str:
    return api_key_create(branch_slug="north", name=name)[1]


def test_parallel_intakes_across_both_servers_lose_and_duplicate_nothing(servers):
    desks = [key(f"desk {i}") for i in range(8)]
    per_desk = 15

    def desk(index: int) -> list[int]:
        base = servers[index % 2]
        return [
            call(base, "POST", INTAKES, desks[index],
                 intake_body(external_id=f"MP-{index}-{n}")).status
            for n in range(per_desk)
        ]  # fmt: skip

    with ThreadPoolExecutor(max_workers=len(desks)) as pool:
        statuses = [code for codes in pool.map(desk, range(len(desks))) for code in codes]

    assert Counter(statuses) == {201: len(desks) * per_desk}
    assert Intake.objects.count() == Patient.objects.count() == len(desks) * per_desk


def test_an_idempotent_retry_sent_to_both_servers_at_once_is_stored_once(servers):
    desk = key("retrying desk")
    body = intake_body(external_id="RETRY-1")
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    attempts = 12

    def attempt(base: str):
        return call(base, "POST", INTAKES, desk, body, **headers)

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        replies = list(pool.map(attempt, [servers[i % 2] for i in range(attempts)]))
    # Whatever was still running has finished by now: a last retry on each server replays.
    replies += [attempt(base) for base in servers]

    created = [r for r in replies if r.status == 201]
    assert {r.status for r in replies} <= {201, 409}
    assert all(r.headers.get("Retry-After") for r in replies if r.status == 409)
    assert len({r.body["id"] for r in created}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in created) == 1
    assert created[-1].headers.get("Idempotent-Replayed") == "true"
    assert Intake.objects.count() == 1


def test_conflicting_transitions_across_both_servers_let_exactly_one_through(servers):
    desk = key("transition desk")
    opened = call(servers[0], "POST", INTAKES, desk, intake_body(trauma="major"))
    referral = opened.body["referral"]["id"]
    moves = 10

    def move(base: str):
        return call(base, "POST", f"/api/v1/referrals/{referral}/transitions/", desk,
                    {"to": "sent"}).status  # fmt: skip

    with ThreadPoolExecutor(max_workers=moves) as pool:
        statuses = list(pool.map(move, [servers[i % 2] for i in range(moves)]))

    assert Counter(statuses) == {200: 1, 409: moves - 1}
    assert Referral.objects.get(pk=referral).status == "sent"
    assert ReferralHistory.objects.filter(referral_id=referral, to_status="sent").count() == 1


def test_the_throttle_is_shared_by_both_servers(servers):
    desk = key("busy desk")
    bases = cycle(servers)

    statuses = [call(next(bases), "GET", INTAKES, desk).status
                for _ in range(THROTTLE_LIMIT + 10)]  # fmt: skip

    assert Counter(statuses) == {200: THROTTLE_LIMIT, 429: 10}


def test_a_revoked_key_stops_at_once_on_both_servers(servers):
    # Each server has answered this key (and kept whatever it keeps of it) before it is
    # revoked; the very next request to either is refused.
    api_key, desk = api_key_create(branch_slug="north", name="stolen desk")
    assert [call(base, "GET", INTAKES, desk).status for base in servers * 2] == [200] * 4

    api_key_revoke(api_key=api_key)

    assert [call(base, "GET", INTAKES, desk).status for base in servers] == [401, 401]
