"""Dependencies run one way: the engine at the bottom, then clinic (the platform), then
triage, then referrals, then the FHIR interface (fhir_r4) on top. A forbidden import fails
here, wherever it is in a module."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("clinic", "triage", "referrals", "fhir_r4")
# Only the root URLconf and the settings may name every app.
CLINIC_MAY_NAME_APPS = {"clinic/urls.py", "clinic/settings.py"}
# Services under another name: they own writes and raise only clinic.errors.
SERVICE_MODULES = {"triage/rulesets.py"}


def _imports():
    """(path, line, module) for every absolute or relative import in the apps' code."""
    for app in APPS:
        for file in sorted((ROOT / app).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            if "/migrations/" in path:
                continue
            package = path.removesuffix(".py").split("/")[:-1]
            for node in ast.walk(ast.parse(file.read_text(), path)):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield path, node.lineno, alias.name
                elif isinstance(node, ast.ImportFrom):
                    base = package[: len(package) - node.level + 1] if node.level else []
                    module = ".".join([*base, *([node.module] if node.module else [])])
                    yield path, node.lineno, module


def _forbidden(path: str, module: str) -> str | None:
    top = module.split(".")[0]
    if top == "fhir_r4" and not path.startswith("fhir_r4/") and path not in CLINIC_MAY_NAME_APPS:
        return "nothing imports the FHIR interface (the top layer)"
    if path.startswith("triage/") and top == "referrals":
        return "triage must not import referrals"
    clinic = path.startswith("clinic/") and path not in CLINIC_MAY_NAME_APPS
    if clinic and top in ("triage", "referrals"):
        return "clinic must not import triage or referrals"
    engine = path.startswith("triage/engine/")
    if engine and not (module.startswith("triage.engine") or top in sys.stdlib_module_names):
        return "the engine imports only the standard library and itself"
    if (path.endswith("/services.py") or path in SERVICE_MODULES or engine) and (
        top == "rest_framework"
    ):
        return "services and the engine must not import rest_framework"
    return None


def test_imports_run_one_way():
    broken = [
        f"{path}:{line} imports {module}: {reason}"
        for path, line, module in _imports()
        if (reason := _forbidden(path, module))
    ]
    assert broken == []
