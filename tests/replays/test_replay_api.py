"""Replaying a candidate ruleset over a branch's stored intakes (issue 13 §3), through the API:
the counts against an independent recomputation, who may, the window, and the report.

Tests run the worker's tasks in-process (CELERY_TASK_ALWAYS_EAGER); a real worker on Redis,
killed mid-replay, is tests/multiprocess/test_replay_worker.py."""

import pytest
from pypdf import PdfReader

from clinic.models import AuditEvent
from tests.api.helpers import INTAKES, error_fields, post_json
from tests.conftest import intake_body, key_client, staff_client
from tests.replays.helpers import (
    REPLAYS,
    all_changes,
    expected_replay,
    replays_url,
    store_history,
)
from tests.rulesets.helpers import officer


@pytest.fixture
def history(db, settings):
    settings.REPLAY_PART_SIZE = 7  # several parts, as a large history has
    desk = key_client("north")
    return store_history(desk)


@pytest.fixture
def dr(history):
    return staff_client("dr.north", "north", "clinician")


def _replay(client, version="2026.2", capture=None, **body):
    with capture(execute=True):
        response = post_json(client, replays_url(version), body)
    assert response.status_code == 202, response.content
    return response


def test_a_replay_counts_what_an_independent_recomputation_counts(
    dr, history, django_capture_on_commit_callbacks
):
    started = _replay(dr, capture=django_capture_on_commit_callbacks)
    assert started["Location"].endswith(f"{REPLAYS}{started.json()['id']}/")
    replay = dr.get(started["Location"]).json()
    assert replay["status"] == "done"
    assert replay["progress"] == {"processed": history, "total": history, "fraction": 1.0}
    expected, expected_changes = expected_replay(dr, "2026.2")
    summary = replay["summary"]
    summary["matrix"] = sorted(summary["matrix"], key=lambda row: (row["from"], row["to"]))
    assert summary == expected
    # The 2026.2 vignettes were written to show its changes: some intakes must change.
    assert expected["changed"] > 0
    assert all_changes(dr, replay["id"]) == expected_changes


def test_replaying_the_version_that_decided_changes_nothing(
    dr, history, django_capture_on_commit_callbacks
):
    replay = _replay(dr, "2026.1", capture=django_capture_on_commit_callbacks).json()
    summary = dr.get(f"{REPLAYS}{replay['id']}/").json()["summary"]
    assert summary["intakes"] == history
    assert [summary[k] for k in ("changed", "under_triaged", "over_triaged", "service_only",
                                 "rules_only")] == [0, 0, 0, 0, 0]  # fmt: skip
    assert all(row["from"] == row["to"] for row in summary["matrix"])
    assert sum(row["count"] for row in summary["matrix"]) == history


def test_changes_filter_by_kind(dr, history, django_capture_on_commit_callbacks):
    replay_id = _replay(dr, capture=django_capture_on_commit_callbacks).json()["id"]
    summary = dr.get(f"{REPLAYS}{replay_id}/").json()["summary"]
    for kind, count in (("under_triage", "under_triaged"), ("over_triage", "over_triaged"),
                        ("service_only", "service_only")):  # fmt: skip
        page = dr.get(f"{REPLAYS}{replay_id}/changes/?kind={kind}&page_size=100").json()
        assert page["count"] == summary[count]
        assert {change["kind"] for change in page["results"]} <= {kind}
    refused = dr.get(f"{REPLAYS}{replay_id}/changes/?kind=sideways")
    assert refused.status_code == 400
    assert error_fields(refused) == {"kind"}
    assert "sideways" not in refused.content.decode()


def test_the_window_limits_the_intakes_replayed(dr, history, django_capture_on_commit_callbacks):
    listed = dr.get(f"{INTAKES}?page_size=100").json()["results"]
    times = sorted(item["submitted_at"] for item in listed)
    middle = times[len(times) // 2]
    after = _replay(dr, capture=django_capture_on_commit_callbacks, submitted_after=middle)
    before = _replay(dr, capture=django_capture_on_commit_callbacks, submitted_before=middle)
    in_after = dr.get(f"{REPLAYS}{after.json()['id']}/").json()["summary"]["intakes"]
    in_before = dr.get(f"{REPLAYS}{before.json()['id']}/").json()["summary"]["intakes"]
    assert in_after == sum(t >= middle for t in times)
    assert in_before == sum(t < middle for t in times)
    assert in_after + in_before == history


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"submitted_after": "yesterday"}, "submitted_after"),
        ({"submitted_after": "2026-06-02T00:00:00Z", "submitted_before": "2026-06-01T00:00:00Z"},
         "submitted_before"),
        ({"branch": "elsewhere"}, "branch"),
        ({"intakes": 5}, "intakes"),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_naming_the_field_and_starts_nothing(dr, body, field):
    response = post_json(dr, replays_url("2026.2"), body)
    assert response.status_code == 400, response.content
    assert error_fields(response) == {field}
    assert dr.get(f"{REPLAYS}does-not-exist/").status_code == 404
    assert not AuditEvent.objects.filter(action="ruleset.replay", outcome="success").exists()


def test_an_unknown_version_is_a_404(dr):
    assert post_json(dr, replays_url("2031.9"), {}).status_code == 404


@pytest.mark.parametrize("role", ["clinician", "safety_officer", "clinic_admin"])
def test_clinicians_safety_officers_and_clinic_admins_may_replay(
    history, role, django_capture_on_commit_callbacks
):
    client = staff_client(f"{role}.north", "north", role)
    replay = _replay(client, capture=django_capture_on_commit_callbacks).json()
    assert client.get(f"{REPLAYS}{replay['id']}/").json()["status"] == "done"
    audit = AuditEvent.objects.get(action="ruleset.replay")
    assert audit.object_type == "replay"
    assert audit.object_ids == [replay["id"]]


def test_reception_and_keys_may_not_replay_nor_read_replays(
    dr, history, django_capture_on_commit_callbacks
):
    replay_id = _replay(dr, capture=django_capture_on_commit_callbacks).json()["id"]
    for client in (key_client("north"), staff_client("desk.north", "north", "reception")):
        assert post_json(client, replays_url("2026.2"), {}).status_code == 403
        for path in ("", "changes/", "report/"):
            assert client.get(f"{REPLAYS}{replay_id}/{path}").status_code == 403


def test_another_branch_never_sees_a_replay(dr, history, django_capture_on_commit_callbacks):
    replay_id = _replay(dr, capture=django_capture_on_commit_callbacks).json()["id"]
    south = staff_client("dr.south", "south", "clinician")
    for path in ("", "changes/", "report/"):
        assert south.get(f"{REPLAYS}{replay_id}/{path}").status_code == 404
    # And a replay of south reads south's intakes only: it has none.
    south_replay = _replay(south, capture=django_capture_on_commit_callbacks).json()
    assert south.get(f"{REPLAYS}{south_replay['id']}/").json()["summary"]["intakes"] == 0


def test_the_report_carries_the_summary_the_classes_and_the_hazards(
    history, django_capture_on_commit_callbacks
):
    so = officer("so.north")
    replay = _replay(so, capture=django_capture_on_commit_callbacks).json()
    summary = so.get(f"{REPLAYS}{replay['id']}/").json()["summary"]
    page = so.get(f"{REPLAYS}{replay['id']}/report/")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert f"Intakes re-decided</th><td>{summary['intakes']}<" in html
    assert (
        f"Under-triaged: a lower disposition-then-urgency</th><td>{summary['under_triaged']}<"
        in html
    )
    for row in summary["matrix"]:
        assert f"<td>{row['from']}</td><td>{row['to']}</td><td>{row['count']}</td>" in html
    for change in ("C1", "C2", "C3", "C4"):
        assert f"<strong>{change}</strong>" in html
    assert "H-03" in html and "H-11" in html
    pdf = so.get(f"{REPLAYS}{replay['id']}/report/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Replay of ruleset 2026.2" in text
    assert "Hazard log of 2026.2" in text


def test_an_intake_stored_after_the_replay_started_is_not_in_it(
    dr, history, django_capture_on_commit_callbacks
):
    replay_id = _replay(dr, capture=django_capture_on_commit_callbacks).json()["id"]
    desk = key_client("north")
    assert post_json(desk, INTAKES, intake_body(external_id="LATE-1")).status_code == 201
    assert dr.get(f"{REPLAYS}{replay_id}/").json()["summary"]["intakes"] == history
