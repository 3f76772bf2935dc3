"""manage.py replay_ruleset: the same replay as the API, from the command line."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import key_client, staff_client
from tests.replays.helpers import expected_replay, store_history
from tests.rulesets.helpers import activate, officer
from triage.models import Replay


@pytest.fixture
def dr(db, settings):
    settings.REPLAY_PART_SIZE = 10
    store_history(key_client("north"), random_intakes=10)
    return staff_client("dr.north", "north", "clinician")


def test_the_command_prints_and_writes_the_summary_the_api_would(dr, tmp_path, capsys):
    out = tmp_path / "summary.json"
    call_command("replay_ruleset", "--ruleset", "2026.2", "--branch", "north", "--json", str(out))
    printed = capsys.readouterr()
    summary = json.loads(out.read_text())
    expected, _ = expected_replay(dr, "2026.2")
    assert sorted(summary["matrix"], key=lambda r: (r["from"], r["to"])) == expected.pop("matrix")
    assert {k: summary[k] for k in expected} == expected
    assert f"intakes        {summary['intakes']:>10,}" in printed.out
    assert "100.0%" in printed.err
    # No person started it: any safety officer may activate with it.
    replay = Replay.objects.get()
    assert replay.actor == "command-line"
    response = activate(officer("so.north"), "2026.2", replay)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ruleset", "2031.9", "--branch", "north"], "no ruleset"),
        (["--ruleset", "2026.2", "--branch", "nowhere"], "No branch"),
        (["--ruleset", "2026.2", "--branch", "north", "--submitted-after", "May"], "ISO 8601"),
    ],
)
def test_the_command_refuses_what_it_cannot_replay(dr, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("replay_ruleset", *args)
    assert not Replay.objects.exists()
