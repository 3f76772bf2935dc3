"""Every worked patient of the clinical vignettes, through the public API."""

import pytest

from tests.api.helpers import EVALUATE, INTAKES, post_json
from tests.clinical_contract import vignettes
from tests.conftest import date_of_birth_for_age

VIGNETTES = vignettes()


def _body(vignette: dict) -> dict:
    return {
        "patient": {
            "external_id": f"VIG-{vignette['id']}",
            "date_of_birth": date_of_birth_for_age(vignette["age"]),
            "sex": vignette["sex"],
        },
        "answers": vignette["answers"],
    }


def _outcome(decision: dict) -> dict:
    return {
        "disposition": decision["disposition"],
        "urgency": decision["urgency"],
        "service": decision["service"],
        "rules": [reason["rule_id"] for reason in decision["reasons"]],
        "startback": decision["startback"],
    }


def test_there_are_twenty_vignettes():
    assert len(VIGNETTES) == 20


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_stored_intake_gets_the_expected_decision(api, vignette):
    response = post_json(api, INTAKES, _body(vignette))

    assert response.status_code == 201, response.json()
    assert _outcome(response.json()["assessment"]) == vignette["expected"]
    # The stored record says the same when read back.
    detail = api.get(f"{INTAKES}{response.json()['id']}/")
    assert _outcome(detail.json()["assessment"]) == vignette["expected"]


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_evaluation_gets_the_expected_decision(api, vignette):
    response = post_json(api, EVALUATE, _body(vignette))

    assert response.status_code == 200, response.json()
    assert _outcome(response.json()) == vignette["expected"]
