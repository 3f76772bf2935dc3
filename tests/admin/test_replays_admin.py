"""Replays in the admin: read only, for the branch's clinicians, clinic admins and safety
officers, and only their branches'."""

import pytest

from tests.api.helpers import post_json
from tests.conftest import key_client, staff_client
from tests.replays.helpers import replays_url, store_history
from triage.models import Replay

REPLAYS = "/admin/triage/replay/"


@pytest.fixture
def replayed(db, django_capture_on_commit_callbacks) -> dict[str, Replay]:
    store_history(key_client("north"), random_intakes=5)
    key_client("south")
    made = {}
    for branch in ("north", "south"):
        dr = staff_client(f"dr.{branch}", branch, "clinician")
        with django_capture_on_commit_callbacks(execute=True):
            response = post_json(dr, replays_url("2026.2"), {})
        assert response.status_code == 202
        made[branch] = Replay.objects.get(pk=response.json()["id"])
    return made


@pytest.mark.parametrize("role", ["clinician", "clinic_admin", "safety_officer"])
def test_the_branch_s_governance_readers_see_its_replays_only(replayed, role):
    browser = staff_client(f"{role}.admin", "north", role)
    page = browser.get(REPLAYS)
    assert page.status_code == 200
    assert {row.pk for row in page.context["cl"].result_list} == {replayed["north"].pk}


def test_reception_does_not_see_replays(replayed):
    assert staff_client("desk.admin", "north", "reception").get(REPLAYS).status_code == 403


def test_a_replay_shows_its_progress_and_summary_and_cannot_be_changed(replayed):
    replay = replayed["north"]
    browser = staff_client("so.admin", "north", "safety_officer")
    page = browser.get(f"{REPLAYS}{replay.pk}/change/").content.decode()
    total = replay.summary["intakes"]
    assert f"{total:,} of {total:,} (100%)" in page
    assert f"Intakes re-decided: <strong>{total}</strong>" in page
    assert browser.get(f"{REPLAYS}add/").status_code == 403
    assert browser.post(f"{REPLAYS}{replay.pk}/change/", {}).status_code == 403
    assert browser.get(f"{REPLAYS}{replayed['south'].pk}/change/").status_code in (302, 404)
