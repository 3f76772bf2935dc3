"""Schema-driven fuzzing of the FHIR interface (tests/fuzz/fhir_schema.py), in process on the
test database: no 500, only documented statuses and content types, and every body a valid R4B
resource (an OperationOutcome for every refusal). FUZZ_EXAMPLES sets the examples per
operation, as for the REST API (`make fuzz`)."""

from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, settings

from tests.fuzz.fhir_schema import schema
from tests.fuzz.test_schema_fuzz import fuzz_settings, world  # noqa: F401 (fixtures)

EXPECTED = {
    "metadata": "CapabilityStatement",
    "back-pain-intake": "Questionnaire",
    "ServiceRequest": "Bundle",
    "CodeSystem": "Bundle",
}


class FhirResourceError(AssertionError):
    pass


def fhir_resource_check(ctx, response, case):
    """The body is a valid R4B resource: an OperationOutcome for a refusal, else the resource
    the operation returns."""
    resource = response.json()
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    if response.status_code >= 400:
        expected = "OperationOutcome"
    else:
        last = case.operation.path.rstrip("/").rsplit("/", 2)
        expected = EXPECTED.get(last[-1]) or (last[-2] if last[-1] == "{id}" else last[-1])
    if resource["resourceType"] != expected:
        raise FhirResourceError(f"expected {expected}, got {resource['resourceType']}")


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_fhir_operation(case, world):  # noqa: F811 (the fixture)
    world.restore()
    case.call_and_validate(additional_checks=[fhir_resource_check])
