"""FHIR's JSON content type, `application/fhir+json`, beside plain `application/json`: the
responses are the same JSON either way, and so are the bodies read (with the REST API's
parser's limits on depth and on text that is not Unicode)."""

from rest_framework.renderers import JSONRenderer

from clinic.api.parsers import JSONParser

FHIR_JSON = "application/fhir+json"


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirJsonParser(JSONParser):
    media_type = FHIR_JSON
