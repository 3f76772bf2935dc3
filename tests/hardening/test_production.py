"""Production settings: refuse to start half-configured, and send the security headers."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
secure = client.get("/api/v1/questionnaire/", secure=True, HTTP_X_FORWARDED_PROTO="https")
plain = client.get("/api/v1/questionnaire/")
health = client.get("/healthz")
print(json.dumps({
    "secure_status": secure.status_code,
    "secure_headers": dict(secure.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "health_status": health.status_code,
}))
"""


def _run(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production(tmp_path, **overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "CLINIC_VAR_DIR": str(tmp_path),
        # Production needs a broker to start; nothing here connects to it.
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        # ... and a key of its own for the webhook secrets.
        "WEBHOOK_SECRET_KEY": Fernet.generate_key().decode(),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run(_production(tmp_path, DJANGO_SECRET_KEY=""), "import django; django.setup()")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = _run(_production(tmp_path, DJANGO_ALLOWED_HOSTS=""), "import django; django.setup()")

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_responses_carry_the_security_headers(tmp_path):
    result = _run(_production(tmp_path), _PROBE)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    headers = probe["secure_headers"]
    assert probe["secure_status"] == 401  # no key: still answered over HTTPS with headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in headers["Strict-Transport-Security"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Content-Type"] == "application/json"
    # Plain HTTP is sent to HTTPS; the health check is not, so a load balancer can poll it.
    assert probe["plain_status"] == 301
    assert probe["plain_location"].startswith("https://")
    assert probe["health_status"] in (200, 503)


def test_the_api_never_offers_a_browsable_html_view(api):
    response = api.get("/api/v1/intakes/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
