"""Which ruleset decides (issue 13 §2): each branch has one active version; a new branch starts
on the newest, the branches that existed before versions stay on 2026.1; the versions and
their rule tables through the API; what-if evaluations under any version held."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIClient

from clinic.models import Branch
from tests.api.helpers import EVALUATE, INTAKES, post_json
from tests.conftest import intake_body, key_client
from tests.rulesets.helpers import RULES, RULESETS
from triage.engine import LATEST
from triage.engine import RULESETS as HELD
from triage.models import RulesetActivation
from triage.rulesets import FIRST_VERSION, active_activation, active_version

# A 60-year-old with a history of cancer (U3, urgent): SPEC-2026.2 C4's own example.
CANCER_HISTORY = {"age": 60, "cancer_history": "yes"}
# Fever with an unknown answer on immunosuppression: U4 and U5 fire, whose order C1 changes.
U4_AND_U5 = {"fever": "yes", "immunosuppression_or_iv_drug_use": "unknown"}


def as_json(moment) -> str:
    """A date-time as the API writes it."""
    return serializers.DateTimeField().to_representation(moment)


def _versions(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["version"]: row for row in response.json()}


def _rule_order(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [rule["id"] for rule in response.json()["rules"]]


# The versions ---------------------------------------------------------------------------


def test_every_version_is_listed_oldest_first_with_its_changes_and_hazards(api):
    rows = api.get(RULESETS).json()

    assert [row["version"] for row in rows] == list(HELD)
    latest = rows[-1]
    assert latest["released"] == LATEST.released.isoformat()
    assert [change["id"] for change in latest["changes"]] == [c.id for c in LATEST.changes]
    assert {"id", "summary", "hazards", "rules"} <= set(latest["changes"][0])
    assert [hazard["id"] for hazard in latest["hazards"]] == [h.id for h in LATEST.hazards]
    assert {"id", "hazard", "controlled_by"} <= set(latest["hazards"][0])


def test_a_branch_that_existed_before_versions_is_on_2026_1_since_its_creation(api):
    north = Branch.objects.get(slug="north")

    versions = _versions(api.get(RULESETS))

    assert versions["2026.1"]["active"] is True
    assert versions["2026.1"]["active_since"] == as_json(north.created_at)
    assert versions["2026.1"]["pending"] is None
    assert [v for v, row in versions.items() if row["active"]] == ["2026.1"]


def test_a_branch_created_now_starts_on_the_newest_version(db):
    desk = key_client("new-site", ruleset=None)  # made by the service, as in production

    versions = _versions(desk.get(RULESETS))
    response = post_json(desk, INTAKES, intake_body(external_id="NEW-1"))

    assert [v for v, row in versions.items() if row["active"]] == [LATEST.version]
    assert response.json()["assessment"]["ruleset_version"] == LATEST.version


def test_the_migration_keeps_every_existing_branch_on_2026_1(db):
    migration = importlib.import_module("triage.migrations.0009_existing_branches_stay_on_2026_1")
    # A branch as the migration finds one: made before versions, so with no activation at all.
    (old,) = Branch.objects.bulk_create([Branch(slug="old-site", name="Old site")])

    migration.existing_branches_stay_on_2026_1(apps, None)

    desk = key_client("old-site")
    versions = _versions(desk.get(RULESETS))
    assert [v for v, row in versions.items() if row["active"]] == ["2026.1"]
    assert versions["2026.1"]["active_since"] == as_json(old.created_at)
    response = post_json(desk, INTAKES, intake_body(external_id="OLD-1"))
    assert response.json()["assessment"]["ruleset_version"] == "2026.1"


# Rule tables ------------------------------------------------------------------------------


def test_each_version_s_rule_table_is_served_in_its_own_order(api):
    older = _rule_order(api.get(f"{RULESETS}2026.1/rules/"))
    newer = _rule_order(api.get(f"{RULESETS}2026.2/rules/"))

    assert older.index("U4") < older.index("U5")
    assert newer.index("U5") < newer.index("U4")  # C1
    assert sorted(older) == sorted(newer)


def test_a_version_the_engine_does_not_hold_has_no_rule_table(api):
    assert api.get(f"{RULESETS}2099.1/rules/").status_code == 404


def test_the_rules_endpoint_serves_the_branch_s_active_version(api):
    newer = key_client("new-site", ruleset="2026.2")

    assert api.get(RULES).json()["ruleset_version"] == "2026.1"
    assert _rule_order(api.get(RULES)) == _rule_order(api.get(f"{RULESETS}2026.1/rules/"))
    assert newer.get(RULES).json()["ruleset_version"] == "2026.2"
    assert _rule_order(newer.get(RULES)) == _rule_order(api.get(f"{RULESETS}2026.2/rules/"))


def test_the_questionnaire_names_the_branch_s_active_version(api):
    newer = key_client("new-site", ruleset="2026.2")

    assert api.get("/api/v1/questionnaire/").json()["ruleset_version"] == "2026.1"
    assert newer.get("/api/v1/questionnaire/").json()["ruleset_version"] == "2026.2"


# What-if ----------------------------------------------------------------------------------


def test_an_evaluation_is_made_under_the_branch_s_active_version(api):
    response = post_json(api, EVALUATE, intake_body(**CANCER_HISTORY))

    assert response.json()["ruleset_version"] == "2026.1"
    assert "watch_for" not in response.json()


def test_an_evaluation_can_ask_for_any_version_held(api):
    response = post_json(api, f"{EVALUATE}?ruleset=2026.2", intake_body(**U4_AND_U5))

    assert response.status_code == 200, response.content
    decision = response.json()
    assert decision["ruleset_version"] == "2026.2"
    assert decision["service"] == "clinician_callback"  # C1: U5 before U4
    assert isinstance(decision["watch_for"], list)


def test_a_what_if_stores_nothing(api):
    post_json(api, f"{EVALUATE}?ruleset=2026.2", intake_body(external_id="WHAT-IF"))

    assert api.get(INTAKES).json()["count"] == 0


@pytest.mark.parametrize("value", ["2099.1", "latest", "2026.1 "])
def test_an_evaluation_under_an_unknown_version_is_400_naming_ruleset(api, value):
    response = post_json(api, f"{EVALUATE}?ruleset={value}", intake_body())

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["ruleset"]


@pytest.mark.parametrize(
    ("query", "code"), [("ruleset=", "empty_parameter"), ("version=2026.2", "unknown_parameter")]
)
def test_the_evaluation_takes_only_a_ruleset_parameter(api, query, code):
    response = post_json(api, f"{EVALUATE}?{query}", intake_body())

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [code]


# Callers of several branches ----------------------------------------------------------------


@pytest.fixture
def operator(db):
    """A superuser, who acts for every branch: here north on 2026.1 and south on 2026.2."""
    key_client("north")
    key_client("south", ruleset="2026.2")
    user = get_user_model().objects.create_superuser("root", email="", password=None)
    client = APIClient()
    client.force_login(user)
    return client


def test_a_caller_of_branches_on_different_versions_names_one(operator):
    assert operator.get(RULES).status_code == 400
    assert operator.get(RULES, {"branch": "south"}).json()["ruleset_version"] == "2026.2"
    response = post_json(operator, EVALUATE, intake_body())
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["ruleset"]
    assert post_json(operator, f"{EVALUATE}?ruleset=2026.1", intake_body()).status_code == 200


def test_the_versions_list_shows_a_branch_when_one_is_named(operator):
    unnamed = _versions(operator.get(RULESETS))
    named = _versions(operator.get(RULESETS, {"branch": "south"}))

    assert {row["active"] for row in unnamed.values()} == {None}
    assert named["2026.2"]["active"] is True
    assert named["2026.1"]["active"] is False


def test_a_branch_that_is_not_the_caller_s_is_400(api, other_api):
    response = api.get(RULESETS, {"branch": "south"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["branch"]


def test_the_versions_list_is_one_plain_list_that_takes_no_page(api):
    assert isinstance(api.get(RULESETS).json(), list)
    response = api.get(RULESETS, {"page": "1"})
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["unknown_parameter"]


# The version in force, as the intake's service reads it ------------------------------------

_MOMENT = st.integers(min_value=0, max_value=10).map(lambda hours: timedelta(hours=hours))


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    activations=st.lists(st.tuples(st.sampled_from(list(HELD)), _MOMENT, _MOMENT), max_size=4),
    at=_MOMENT,
)
def test_the_version_an_intake_reads_is_the_activation_in_effect(db, activations, at):
    # active_version runs for every intake with its query written out; it must pick exactly
    # the activation active_activation picks: the latest in effect, the later made on a tie.
    branch = Branch.objects.create(slug=f"b{Branch.objects.count()}", name="Property branch")
    start = timezone.now().replace(microsecond=0)
    RulesetActivation.objects.filter(branch=branch).delete()  # a new branch starts on one
    RulesetActivation.objects.bulk_create(
        RulesetActivation(branch=branch, version=version, effective_from=start + effective,
                          created_at=start + made, acknowledgements=[])
        for version, effective, made in activations
    )  # fmt: skip
    moment = start + at

    chosen = active_activation(branch_id=branch.pk, at=moment)

    expected = FIRST_VERSION if chosen is None else chosen.version
    assert active_version(branch_id=branch.pk, at=moment) == expected
