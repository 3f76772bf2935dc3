"""The live schema, as a client generator downloads it from /api/schema/."""

import json
from pathlib import Path

from django.test import Client


def write_live_schema(folder: Path) -> Path:
    """Fetch /api/schema/ as JSON (no credentials: the docs are public) into `folder`."""
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:500]
    path = folder / "openapi.json"
    path.write_text(json.dumps(json.loads(response.content)))
    return path
