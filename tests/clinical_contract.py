"""Where the clinical contract lives: `shared/clinical/` beside the repository (as in CI),
or wherever CLINICAL_DIR points."""

import json
import os
from pathlib import Path

CLINICAL_DIR = Path(
    os.environ.get("CLINICAL_DIR", Path(__file__).resolve().parents[2] / "shared" / "clinical")
)


def spec_text() -> str:
    return (CLINICAL_DIR / "SPEC.md").read_text()


def vignettes() -> list[dict]:
    return json.loads((CLINICAL_DIR / "vignettes.json").read_text())
