"""Every resource the service returns is valid FHIR (the fhir.resources R4B models), and every
code it uses is one of the code systems it publishes."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.clinical_contract import vignettes
from tests.fhir.helpers import (
    fhir_get,
    fhir_post,
    questionnaire_response,
    read_questionnaire,
    resource_of,
    valid_resource,
)

OURS = "https://clinic-triage.example.org/fhir/CodeSystem/"


def _codings(value: Any) -> Iterator[dict]:
    """Every Coding inside a resource (anything with a system and a code)."""
    if isinstance(value, dict):
        if "system" in value and "code" in value:
            yield value
        for child in value.values():
            yield from _codings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _codings(child)


@pytest.fixture
def code_systems(api) -> dict[tuple[str, str | None], dict[str, str]]:
    """{(canonical URL, version): {code: display}} of every code system served."""
    bundle = resource_of(fhir_get(api, "CodeSystem"), "Bundle")
    systems = {}
    for entry in bundle["entry"]:
        system = entry["resource"]
        assert resource_of(fhir_get(api, f"CodeSystem/{system['id']}")) == system
        concepts = {c["code"]: c["display"] for c in system["concept"]}
        systems[(system["url"], system.get("version"))] = concepts
    return systems


def _all_resources(api, clinician) -> list[dict]:
    """Every kind of resource the service returns, for every vignette."""
    questionnaire = read_questionnaire(api)
    found = [questionnaire, resource_of(fhir_get(api, "metadata"))]
    for number, vignette in enumerate(vignettes("2026.1")):
        body = questionnaire_response(questionnaire, vignette["answers"],
                                      external_id=f"V-{number}", age=vignette["age"])  # fmt: skip
        created = resource_of(fhir_post(api, "QuestionnaireResponse", body))
        intake = api.get(f"/api/v1/intakes/{created['id']}/").json()
        patient = intake["patient"]["id"]
        paths = [f"QuestionnaireResponse/{created['id']}", f"RiskAssessment/{created['id']}",
                 f"CarePlan/{created['id']}", f"Patient/{patient}",
                 f"ServiceRequest?subject=Patient/{patient}"]  # fmt: skip
        if intake["referral"]:
            paths.append(f"ServiceRequest/{intake['referral']['id']}")
        found.append(created)
        found += [resource_of(fhir_get(api, path)) for path in paths]
        found.append(resource_of(fhir_get(clinician, paths[0])))  # with the answers
    return found


def test_every_resource_validates_and_codes_from_what_is_published(api, clinician, code_systems):
    resources = _all_resources(api, clinician)

    kinds = {r["resourceType"] for r in resources}
    assert kinds == {
        "Questionnaire", "CapabilityStatement", "QuestionnaireResponse", "RiskAssessment",
        "CarePlan", "Patient", "Bundle", "ServiceRequest",
    }  # fmt: skip
    for resource in resources:
        valid_resource(resource)
        for coding in _codings(resource):
            if coding["system"].startswith(OURS):
                concepts = code_systems[(coding["system"], coding.get("version"))]
                assert concepts[coding["code"]] == coding["display"], coding


def test_the_capability_statement_lists_every_code_system(api, code_systems):
    statement = resource_of(fhir_get(api, "metadata"), "CapabilityStatement")

    assert statement["fhirVersion"] == "4.0.1"
    assert "application/fhir+json" in statement["format"]
    documented = statement["rest"][0]["documentation"]
    for url, _version in code_systems:
        assert f"`{url}`" in documented
    served = {resource["type"] for resource in statement["rest"][0]["resource"]}
    assert served == {"Questionnaire", "QuestionnaireResponse", "RiskAssessment",
                      "ServiceRequest", "CarePlan", "Patient", "CodeSystem"}  # fmt: skip


def test_a_code_system_is_found_by_its_canonical_url(api):
    url = f"{OURS}disposition"
    bundle = resource_of(fhir_get(api, f"CodeSystem?url={url}"), "Bundle")

    assert [entry["resource"]["id"] for entry in bundle["entry"]] == ["disposition"]
    codes = [c["code"] for c in bundle["entry"][0]["resource"]["concept"]]
    assert codes == ["home_care", "physiotherapy", "medical_referral"]


def test_the_rules_of_each_ruleset_are_their_own_version(api):
    from triage.engine import RULESETS

    for version, rules in RULESETS.items():
        system = resource_of(fhir_get(api, f"CodeSystem/rule-{version}"))
        assert (system["url"], system["version"]) == (f"{OURS}rule", version)
        assert [c["code"] for c in system["concept"]] == [rule.id for rule in rules.rules]


def test_an_unknown_code_system_is_not_found(api):
    assert fhir_get(api, "CodeSystem/snomed").status_code == 404
