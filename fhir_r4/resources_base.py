"""What every resource the service returns goes through: validation against the FHIR models.

Resources are written as plain JSON-ready dicts (easy to read beside the specification) and
validated with the `fhir.resources` package's R4B models on the way out, so a resource that
breaks FHIR's rules is a bug found at once, never a response.
"""

from typing import Any

FHIR_VERSION = "4.0.1"
PATH = "/fhir/R4"


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """`resource` as its R4B model reads and writes it back (raises if it is not valid)."""
    # Imported here, not at the top: fhir.resources and pydantic cost a web worker about 11 MB
    # of memory, and the URLconf imports this module, so a top-level import would load them in
    # every worker, whether or not it ever serves a FHIR request (issue 16).
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource).model_dump(mode="json", exclude_none=True)


def reference(resource_type: str, resource_id: Any) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}
