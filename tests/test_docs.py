import json
from pathlib import Path

from triage.rule_table import rule_table_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_rule_table_doc_matches_the_engine():
    # Regenerate with: python manage.py rule_table > docs/rules.md
    assert (ROOT / "docs" / "rules.md").read_text() == rule_table_markdown()


def _readme_intake_body() -> dict:
    readme = (ROOT / "README.md").read_text()
    return json.loads(readme.split("cat > intake.json <<'JSON'\n")[1].split("\nJSON\n")[0])


def test_readme_round_trip_gives_the_decision_it_describes(api):
    body = _readme_intake_body()

    preview = api.post("/api/v1/triage/evaluate/", body, format="json")
    stored = api.post("/api/v1/intakes/", body, format="json")

    assert preview.status_code == 200
    assert stored.status_code == 201
    for decision in (preview.json(), stored.json()["assessment"]):
        assert (decision["disposition"], decision["urgency"]) == ("physiotherapy", "routine")
        assert decision["service"] == "physiotherapy"
        assert [reason["rule_id"] for reason in decision["reasons"]] == ["S2"]


def test_the_clinical_safety_doc_has_every_version_s_hazard_log_as_the_engine_holds_it():
    from triage.engine import RULESETS

    doc = (ROOT / "docs" / "clinical-safety.md").read_text()
    for version, ruleset in RULESETS.items():
        section = doc.split(f"### {version}\n", 1)[1].split("\n### ", 1)[0]
        rows = [f"| {h.id} | {h.hazard} | {', '.join(h.controlled_by)} |" for h in ruleset.hazards]
        table = [line for line in section.splitlines() if line.startswith("| H-")]
        assert table == rows, version
