"""The OpenAPI schema builds cleanly and documents what each operation can answer."""

import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

READ = {"400", "401", "403", "406", "429"}  # 400: an unknown query parameter
WRITE = READ | {"400", "413", "415"}
OPERATIONS = [
    ("/api/v1/questionnaire/", "get", READ | {"200"}),
    ("/api/v1/rules/", "get", READ | {"200"}),
    ("/api/v1/triage/evaluate/", "post", WRITE | {"200"}),
    ("/api/v1/intakes/", "post", WRITE | {"201", "409", "422"}),
    ("/api/v1/intakes/", "get", READ | {"200", "400"}),
    ("/api/v1/intakes/{id}/", "get", READ | {"200", "404"}),
    ("/healthz", "get", {"200", "400", "503"}),  # 400: an unknown query parameter
    ("/api/v1/intakes/{id}/review/", "post", WRITE | {"201", "404", "409", "422"}),
    ("/api/v1/intakes/{id}/care-plan/", "get", READ | {"200", "404"}),
    ("/api/v1/intakes/{id}/care-plan/print/", "get", READ | {"200", "404", "503"}),
    ("/api/v1/intakes/{id}/care-plan/links/", "post", WRITE | {"201", "404"}),
    ("/api/v1/print-links/care-plan/{token}/", "get", {"200", "400", "404", "410", "429", "503"}),
    ("/api/v1/print-links/letter/{token}/", "get", {"200", "400", "404", "410", "429", "503"}),
    ("/api/v1/patients/{id}/history/", "get", READ | {"200", "404"}),
    ("/api/v1/events/", "get", READ | {"200", "400"}),
    ("/api/v1/referrals/", "get", READ | {"200", "400"}),
    ("/api/v1/referrals/{id}/", "get", READ | {"200", "404"}),
    ("/api/v1/referrals/{id}/transitions/", "post", WRITE | {"200", "404", "409", "412", "422"}),
    ("/api/v1/referrals/{id}/letter/", "get", READ | {"200", "404", "503"}),
    ("/api/v1/referrals/{id}/letter/links/", "post", WRITE | {"201", "404"}),
    ("/api/v1/audit-events/", "get", READ | {"200", "400"}),
    ("/api/v1/api-keys/", "get", READ | {"200", "400"}),
    ("/api/v1/api-keys/", "post", WRITE | {"201"}),
    ("/api/v1/api-keys/{prefix}/revoke/", "post", READ | {"200", "404"}),
    ("/api/v1/api-keys/{prefix}/rotate/", "post", READ | {"201", "404"}),
    ("/api/v1/auth/tokens/", "post", {"201", "400", "413", "415", "429"}),
    ("/api/v1/staff-roles/", "get", READ | {"200", "400"}),
    ("/api/v1/staff-roles/", "post", WRITE | {"201"}),
    ("/api/v1/staff-roles/{id}/", "delete", READ | {"204", "404"}),
    ("/api/v1/auth/tokens/current/", "delete", READ | {"204"}),
    ("/api/v1/rulesets/", "get", READ | {"200"}),
    ("/api/v1/rulesets/{version}/rules/", "get", READ | {"200", "404"}),
    ("/api/v1/rulesets/{version}/activations/", "post", WRITE | {"201", "404", "409"}),
    ("/api/v1/rulesets/activations/", "get", READ | {"200", "400"}),
    ("/api/v1/webhooks/", "get", READ | {"200", "400"}),
    ("/api/v1/webhooks/", "post", WRITE | {"201"}),
    ("/api/v1/webhooks/{id}/", "get", READ | {"200", "404"}),
    ("/api/v1/webhooks/{id}/", "delete", READ | {"204", "404"}),
    ("/api/v1/webhooks/{id}/rotate-secret/", "post", READ | {"201", "404"}),
    ("/api/v1/webhooks/{id}/test/", "post", READ | {"202", "404"}),
    ("/api/v1/webhooks/{id}/deliveries/", "get", READ | {"200", "400", "404"}),
    ("/api/v1/webhooks/deliveries/{id}/resend/", "post", READ | {"202", "404", "409"}),
    ("/api/v1/rulesets/{version}/replays/", "post", WRITE | {"202", "404"}),
    ("/api/v1/replays/{id}/", "get", READ | {"200", "404"}),
    ("/api/v1/replays/{id}/changes/", "get", READ | {"200", "404"}),
    ("/api/v1/replays/{id}/report/", "get", READ | {"200", "404", "503"}),
]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_builds_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi:")


@pytest.mark.parametrize(("path", "method", "codes"), OPERATIONS)
def test_operation_documents_every_response_code(schema, path, method, codes):
    assert set(schema["paths"][path][method]["responses"]) == codes


def test_every_operation_is_listed_here(schema):
    documented = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert documented == {(path, method) for path, method, _ in OPERATIONS}


def test_api_key_is_the_documented_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_served_without_a_key(client, url):
    assert client.get(url).status_code == 200


def test_swagger_ui_assets_are_served_locally(client):
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, "the page loads its scripts and styles"
    # Every script and style from our own /static/ (the sidecar), none from a CDN. (Not a
    # search for "cdn" in the page: its random CSRF token sometimes holds those letters.)
    assert all(url.startswith("/static/drf_spectacular_sidecar/") for url in assets), assets
