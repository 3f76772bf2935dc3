import copy
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.services import api_key_create
from tests.engine.builders import baseline_answers


def date_of_birth_for_age(age: int) -> str:
    """A birth date giving `age` whole years today (the birthday was yesterday)."""
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    try:
        birthday = yesterday.replace(year=yesterday.year - age)
    except ValueError:  # 29 February in a year without one
        birthday = date(yesterday.year - age, 2, 28)
    return birthday.isoformat()


def intake_body(
    *, external_id: str = "MRN-0001", age: int = 40, sex: str = "female", **answers: Any
) -> dict[str, Any]:
    """A valid intake body for a patient with no findings; keyword answers override."""
    return {
        "patient": {
            "external_id": external_id,
            "date_of_birth": date_of_birth_for_age(age),
            "sex": sex,
        },
        "answers": baseline_answers(**copy.deepcopy(answers)),
    }


def branch_on(slug: str, *, ruleset: str | None = "2026.1", name: str | None = None):
    """The branch `slug`, made if it does not exist yet. A branch made by the service starts on
    the newest ruleset version; most tests state 2026.1's decisions, so by default a new one is
    made as migration 0009 left every branch that existed before versions: on `ruleset`
    (2026.1), active since its creation, and nothing else. `ruleset=None`: the newest, as the
    service makes it. An existing branch is returned as it is."""
    from clinic.models import Branch
    from triage.models import RulesetActivation

    branch = Branch.objects.filter(slug=slug).first()
    if branch is not None:
        return branch
    name = name or slug.replace("-", " ").title()
    if ruleset is None:
        return Branch.objects.create(slug=slug, name=name)
    (branch,) = Branch.objects.bulk_create([Branch(slug=slug, name=name)])  # no receiver
    RulesetActivation.objects.create(
        branch=branch, version=ruleset, effective_from=branch.created_at, created_at=timezone.now()
    )
    return branch


def key_client(branch_slug: str, *, ruleset: str | None = "2026.1") -> APIClient:
    """A reception system of `branch_slug` (made on `ruleset` if new: see branch_on)."""
    branch_on(branch_slug, ruleset=ruleset)
    _, key = api_key_create(branch_slug=branch_slug, name=f"{branch_slug} desk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Each test starts with no requests counted against any caller."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api(db) -> APIClient:
    """A reception system of the branch `north`."""
    return key_client("north")


@pytest.fixture
def other_api(db) -> APIClient:
    """A reception system of another branch, `south`."""
    return key_client("south")


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def staff_client(
    username: str, branch_slug: str, role: str, *, ruleset: str | None = "2026.1"
) -> APIClient:
    """A person signed in (as to the admin) with `role` in the branch `branch_slug` (made on
    `ruleset` if new: see branch_on)."""
    from django.contrib.auth import get_user_model

    from clinic.models import StaffRole

    branch = branch_on(branch_slug, ruleset=ruleset, name=branch_slug)
    user = get_user_model().objects.create_user(username, password="not-used", is_staff=True)
    StaffRole.objects.create(user=user, branch=branch, role=role)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def clinician(db) -> APIClient:
    """A clinician of the branch `north`, signed in."""
    return staff_client("dr.north", "north", "clinician")


@pytest.fixture
def receptionist(db) -> APIClient:
    """A receptionist of `north`, signed in: may not review."""
    return staff_client("desk.north", "north", "reception")


# Tests that start real servers need a particular database behind them. Each pass of .ci/run
# runs the ones its database can: the SQLite pass the SQLite-file writers, the PostgreSQL pass
# (with Redis) the two-server tests. Whatever a run leaves out is named in its summary.
def _runs_here(marker: str) -> tuple[bool, str]:
    from django.conf import settings

    postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if marker == "multiprocess":
        return postgres and bool(settings.REDIS_URL), "PostgreSQL (DATABASE_URL) and REDIS_URL"
    return not postgres, "the embedded SQLite database (no DATABASE_URL)"


_not_run: list[str] = []


def pytest_collection_modifyitems(config, items):
    kept, left_out = [], []
    for item in items:
        for marker in ("multiprocess", "sqlite_file"):
            if item.get_closest_marker(marker) and not _runs_here(marker)[0]:
                left_out.append(item)
                _not_run.append(f"{item.nodeid}: needs {_runs_here(marker)[1]}")
                break
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    if _not_run:
        terminalreporter.section("not run on this database (run by the other pass of .ci/run)")
        for line in _not_run:
            terminalreporter.write_line(line)
