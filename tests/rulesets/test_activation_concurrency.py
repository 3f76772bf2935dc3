"""Two activations for one branch at once, over real separate database connections: the branch
row is locked, so they are made one after the other and exactly one succeeds. Runs on SQLite
(IMMEDIATE transactions) and on PostgreSQL (the row lock) alike."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from tests.conftest import key_client
from tests.rulesets.helpers import UNDER, acknowledged, activate, finished_replay, officer
from triage.models import RulesetActivation

AT_ONCE = 4


@pytest.mark.django_db(transaction=True)
def test_simultaneous_activations_for_one_branch_let_exactly_one_through():
    key_client("north")
    # Each safety officer with a replay of their own (a Replay row as the replay worker leaves
    # a finished one), started by a clinician.
    attempts = [(officer(f"so.{n}"), finished_replay(matrix=[(*UNDER, 1)])) for n in range(AT_ONCE)]
    start = threading.Barrier(AT_ONCE)

    def attempt(index: int) -> int:
        client, replay = attempts[index]
        try:
            start.wait()
            response = activate(client, "2026.2", replay, acknowledgements=acknowledged(UNDER))
            return response.status_code
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        statuses = sorted(pool.map(attempt, range(AT_ONCE)))

    assert statuses == [201] + [409] * (AT_ONCE - 1)
    assert RulesetActivation.objects.filter(activated_by__isnull=False).count() == 1
