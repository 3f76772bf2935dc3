"""The questionnaire and the rule table as a reception system and a clinician read them."""

import re

from tests.clinical_contract import spec_text
from triage.engine import RULES

SPEC = spec_text()


def _spec_answer_fields() -> set[str]:
    section = SPEC.split("## 2. Intake answers")[1].split("## 3.")[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))


def _spec_startback_items() -> set[str]:
    section = SPEC.split("STarT Back items (last two weeks")[1].split("## 3.")[0]
    return set(re.findall(r"\d `(\w+)`", section))


def test_questionnaire_has_every_answer_of_the_spec(api):
    body = api.get("/api/v1/questionnaire/").json()

    fields = {item["field"] for item in body["answers"]}
    startback = next(item for item in body["answers"] if item["field"] == "startback")
    assert fields == _spec_answer_fields()
    assert {item["field"] for item in startback["items"]} == _spec_startback_items()
    assert body["version"] == "2026.1"


def test_questionnaire_gives_types_ranges_and_choices(api):
    items = {item["field"]: item for item in api.get("/api/v1/questionnaire/").json()["answers"]}

    assert (items["pain_score"]["type"], items["pain_score"]["minimum"]) == ("integer", 0)
    assert items["pain_score"]["maximum"] == 10
    assert [c["value"] for c in items["fever"]["choices"]] == ["yes", "no", "unknown"]
    assert items["fever"]["red_flag"] is True
    assert items["suspected_triggers"]["required"] is False
    assert all(item["text"] for item in items.values())


def test_questionnaire_lists_the_patient_details(api):
    patient = {item["field"]: item for item in api.get("/api/v1/questionnaire/").json()["patient"]}

    assert set(patient) == {"external_id", "date_of_birth", "sex"}
    assert [c["value"] for c in patient["sex"]["choices"]] == ["female", "male", "other", "unknown"]


def test_rule_table_is_the_engines_own(api):
    body = api.get("/api/v1/rules/").json()

    assert body["ruleset_version"] == "2026.1"
    assert [rule["id"] for rule in body["rules"]] == [rule.id for rule in RULES]
    for rule in body["rules"]:
        assert rule["condition"] and rule["source"] and rule["services"]


def test_rule_table_lists_every_rule_of_the_spec(api):
    spec_ids = re.findall(r"\*\*([EURSP]\d)\b", SPEC)

    assert [rule["id"] for rule in api.get("/api/v1/rules/").json()["rules"]] == spec_ids
