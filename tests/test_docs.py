from pathlib import Path

from triage.rule_table import rule_table_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_rule_table_doc_matches_the_engine():
    # Regenerate with: python manage.py rule_table > docs/rules.md
    assert (ROOT / "docs" / "rules.md").read_text() == rule_table_markdown()
