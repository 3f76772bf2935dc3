"""The clinical contract as the tests read it: the project's own copy in `docs/clinical/`.

Nothing here looks outside the repository, so a clone with nothing beside it runs every test.
`UPSTREAM` is where the copy comes from; `tests/test_clinical_contract.py` checks the two are
identical wherever the upstream folder is present.
"""

import json
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
CLINICAL_DIR = REPOSITORY / "docs" / "clinical"
UPSTREAM = REPOSITORY.parent / "shared" / "clinical"

# The project's file name for each upstream file (2026.1's spec is SPEC.md upstream).
COPIES = {
    "SPEC-2026.1.md": "SPEC.md",
    "SPEC-2026.2.md": "SPEC-2026.2.md",
    "vignettes.json": "vignettes.json",
    "vignettes-2026.2.json": "vignettes-2026.2.json",
}


def spec_text(version: str = "2026.1") -> str:
    return (CLINICAL_DIR / f"SPEC-{version}.md").read_text()


def vignettes(version: str = "2026.1") -> list[dict]:
    name = "vignettes.json" if version == "2026.1" else f"vignettes-{version}.json"
    return json.loads((CLINICAL_DIR / name).read_text())
