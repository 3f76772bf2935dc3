"""The project's copy of the clinical contract stands on its own and matches its upstream."""

import json

import pytest

from tests.clinical_contract import CLINICAL_DIR, COPIES, UPSTREAM, spec_text, vignettes


def test_the_contract_is_in_the_repository():
    # Every file the tests read is inside the project, not beside it.
    for name in COPIES:
        assert (CLINICAL_DIR / name).is_file(), name
    assert "2026.1" in spec_text("2026.1")
    assert "2026.2" in spec_text("2026.2")
    assert len(vignettes("2026.1")) > 0 and len(vignettes("2026.2")) > 0


def test_every_vignette_file_is_valid_json_with_expected_outcomes():
    for name in ("vignettes.json", "vignettes-2026.2.json"):
        for vignette in json.loads((CLINICAL_DIR / name).read_text()):
            assert {"age", "sex", "answers", "expected"} <= vignette.keys(), name


@pytest.mark.skipif(
    not UPSTREAM.is_dir(),
    reason=f"no upstream clinical folder at {UPSTREAM} (a clone on its own): nothing to compare",
)
@pytest.mark.parametrize("name", sorted(COPIES))
def test_the_copy_is_identical_to_upstream(name):
    ours = (CLINICAL_DIR / name).read_bytes()
    theirs = (UPSTREAM / COPIES[name]).read_bytes()
    assert ours == theirs, (
        f"docs/clinical/{name} differs from {UPSTREAM / COPIES[name]}: copy the upstream file "
        "into the project in the commit that implements the change"
    )
