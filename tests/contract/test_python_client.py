"""A Python client generated from the live schema with openapi-python-client: generated without
a warning, and with a real type for every field of the questionnaire, intake and referral
models (and everything they hold), as an integrator's IDE and type checker would see them."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract.helpers import write_live_schema

# The models an integrator builds on; every model they reach is checked too.
ROOTS = ("Questionnaire", "Intake", "PaginatedIntakeList", "Referral", "ReferralDetail",
         "PaginatedReferralList", "EventPage", "PatientHistory")  # fmt: skip
# Every generated model keeps the keys a newer server may add here (a field added within
# /api/v1/ must not break an older client: docs/api-versioning.md).
ALLOWED_UNTYPED = {"additional_properties"}
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def client_package(tmp_path_factory, django_db_blocker) -> Path:
    folder = tmp_path_factory.mktemp("python-client")
    with django_db_blocker.unblock():
        schema = write_live_schema(folder)
    config = folder / "config.yml"
    config.write_text("post_hooks: []\n")  # no formatter run: only the code matters here
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema), "--config", str(config),
         "--meta", "none", "--output-path", str(folder / "client"), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    return folder / "client"


def _models(package: Path) -> dict[str, dict[str, str]]:
    """{class name: {attribute: annotation}} of every generated model class (an enum has
    none: each value is a plain assignment)."""
    models = {}
    for file in (package / "models").glob("*.py"):
        for node in ast.parse(file.read_text()).body:
            if isinstance(node, ast.ClassDef):
                models[node.name] = {
                    item.target.id: ast.unparse(item.annotation)
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                }
    return models


def _untyped(annotation: str) -> bool:
    """Any, a bare dict or list of them, or Unset with nothing else (an always-absent field)."""
    names = {node.id for node in ast.walk(ast.parse(annotation)) if isinstance(node, ast.Name)}
    return bool(names & {"Any", "dict", "Dict", "object"}) or names <= {"Unset", "None"}


def _reachable(models: dict[str, dict[str, str]]) -> set[str]:
    seen, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for annotation in models[name].values():
            todo += [n for n in models if n not in seen and n in _names(annotation)]
    return seen


def _names(annotation: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(annotation)) if isinstance(node, ast.Name)}


def test_the_client_generates_without_warnings(client_package):
    assert (client_package / "models" / "questionnaire.py").exists()


def test_every_field_of_the_questionnaire_intake_and_referral_models_is_typed(client_package):
    models = _models(client_package)
    checked = _reachable(models)
    assert {"Question", "Choice", "Answers", "Decision", "ReferralTransitionedData"} <= checked
    untyped = {
        f"{model}.{field}: {annotation}"
        for model in checked
        for field, annotation in models[model].items()
        if field not in ALLOWED_UNTYPED and _untyped(annotation)
    }
    # An object the schema left open (`additionalProperties: {}`) becomes a model of nothing
    # but `additional_properties`: as untyped as a dict.
    untyped |= {f"{model}: no typed field" for model in checked
                if models[model] and set(models[model]) <= ALLOWED_UNTYPED}  # fmt: skip
    assert untyped == set()


def test_a_form_renderer_reads_choices_and_group_items_as_typed_values(client_package):
    models = _models(client_package)
    assert models["Question"]["choices"] == "list[Choice] | Unset"
    assert models["Question"]["items"] == "list[Question] | Unset"
    assert models["Choice"] == {"value": "str", "label": "str",
                                "additional_properties": "dict[str, Any]"}  # fmt: skip
