"""Each operation is described for integrators, tagged by who uses it, and has a short id."""

import ast
import re
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.api.operations import OPERATIONS, TAGS

ROOT = Path(__file__).resolve().parents[2]
APPS = ("clinic", "triage", "referrals")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _words(text: str) -> str:
    return " ".join(text.split())


def _docstrings() -> set[str]:
    """Every docstring of a class or function in the apps: written for developers."""
    found = set()
    for app in APPS:
        for file in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text())):
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    doc = ast.get_docstring(node)
                    if doc:
                        found.add(_words(doc))
    return found


def test_every_operation_has_a_row_in_the_table(schema):
    assert {(path, method) for path, method, _ in _operations(schema)} == set(OPERATIONS)


def test_every_operation_is_described(schema):
    undescribed = [
        (m, p) for p, m, op in _operations(schema) if len(op.get("description", "")) < 40
    ]
    assert undescribed == []


def test_no_description_is_a_developers_docstring(schema):
    docstrings = _docstrings()
    leaked = [(m, p) for p, m, op in _operations(schema) if _words(op["description"]) in docstrings]
    assert leaked == []


def test_operation_ids_are_short_and_unique(schema):
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z]{2,30}", id_) for id_ in ids), ids


def test_every_operation_is_tagged_with_who_uses_it(schema):
    audiences = {tag["name"] for tag in TAGS}
    assert [tag["name"] for tag in schema["tags"]] == [tag["name"] for tag in TAGS]
    for path, method, operation in _operations(schema):
        assert operation["tags"], (method, path)
        assert set(operation["tags"]) <= audiences, (method, path)


def test_reception_systems_find_the_intake_workflow_under_their_tag(schema):
    reception = {operation["operationId"] for _, _, operation in _operations(schema)
                 if "reception" in operation["tags"]}  # fmt: skip
    assert {"getQuestionnaire", "createIntake", "getIntake", "getCarePlan", "listEvents",
            "listReferrals", "transitionReferral"} <= reception  # fmt: skip
    assert not {"listApiKeys", "reviewIntake", "activateRuleset"} & reception
