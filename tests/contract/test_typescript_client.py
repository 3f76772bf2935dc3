"""TypeScript types generated from the live schema with openapi-typescript, and a small form
renderer (ts/form.ts) compiled against them with `tsc --strict`: the questionnaire's choices
and groups, a referral's next statuses and each event's data must all be typed for it to
compile. The tools are pinned in ts/package-lock.json and installed with `npm ci` into a
cached folder (the service itself never needs Node). Skipped, saying so, without Node."""

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.contract.helpers import write_live_schema

TS = Path(__file__).with_name("ts")
NODE, NPM = shutil.which("node"), shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None,
    reason="node and npm are not on this machine: the TypeScript client (openapi-typescript, "
    "tsc --strict) was NOT checked",
)


def _run(*command: str, cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)}:\n{output}"
    return output


@pytest.fixture(scope="module")
def tools() -> Path:
    """A folder with the pinned packages installed, reused while the lock file is unchanged."""
    lock = (TS / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (TS / "package.json").read_bytes()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"clinic-contract-ts-{digest}"
    if (folder / "node_modules" / ".package-lock.json").exists():
        return folder
    # Installed beside and renamed into place, so a run that stops half-way leaves no folder
    # that looks installed.
    staging = Path(tempfile.mkdtemp(prefix="clinic-contract-ts-"))
    for name in ("package.json", "package-lock.json"):
        shutil.copy(TS / name, staging / name)
    _run(str(NPM), "ci", "--no-audit", "--no-fund", "--ignore-scripts", cwd=staging)
    try:
        os.rename(staging, folder)
    except OSError:  # another run installed it first
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def generated(tools, tmp_path_factory, django_db_blocker) -> Path:
    work = tmp_path_factory.mktemp("typescript-client")
    with django_db_blocker.unblock():
        schema = write_live_schema(work)
    cli = tools / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    output = _run(str(NODE), str(cli), str(schema), "-o", str(work / "api.d.ts"), cwd=work)
    assert "warn" not in output.lower(), output
    for name in ("form.ts", "tsconfig.json"):
        shutil.copy(TS / name, work / name)
    return work


def test_the_form_renderer_compiles_with_tsc_strict(tools, generated):
    tsc = tools / "node_modules" / "typescript" / "bin" / "tsc"
    _run(str(NODE), str(tsc), "-p", str(generated / "tsconfig.json"), "--strict", cwd=generated)


def test_the_generated_types_give_choices_and_group_items_their_types(generated):
    types = (generated / "api.d.ts").read_text()
    assert 'choices?: components["schemas"]["Choice"][];' in types
    assert 'items?: components["schemas"]["Question"][];' in types
    assert "unknown" not in types.split("Question: {", 1)[1].split("};", 1)[0]
