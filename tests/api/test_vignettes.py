"""Every worked patient of the clinical vignettes, through the public API."""

import pytest

from tests.api.helpers import EVALUATE, INTAKES, post_json, vignette_body, vignette_outcome
from tests.clinical_contract import vignettes

VIGNETTES = vignettes()


def test_there_are_twenty_vignettes():
    assert len(VIGNETTES) == 20


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_stored_intake_gets_the_expected_decision(api, vignette):
    response = post_json(api, INTAKES, vignette_body(vignette))

    assert response.status_code == 201, response.json()
    assert vignette_outcome(response.json()["assessment"]) == vignette["expected"]
    # The stored record says the same when read back.
    detail = api.get(f"{INTAKES}{response.json()['id']}/")
    assert vignette_outcome(detail.json()["assessment"]) == vignette["expected"]


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_evaluation_gets_the_expected_decision(api, vignette):
    response = post_json(api, EVALUATE, vignette_body(vignette))

    assert response.status_code == 200, response.json()
    assert vignette_outcome(response.json()) == vignette["expected"]
