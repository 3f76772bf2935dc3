"""Set up (or reuse) the local demo: a branch, an API key and a staff login.

Demo only: the plain key and password are kept in var/ so that `make run` can print them
again. Production keys are created with `create_api_key` and never written anywhere.
"""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clinic.models import ApiKey
from clinic.services import api_key_create

DEMO_BRANCH = "demo"
DEMO_USERNAME = "demo.clinician"


class Command(BaseCommand):
    help = "Create or reuse the demo branch, API key and staff login; print how to use them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("setup_demo is for the local demo, not production.")
        path = settings.VAR_DIR / "demo-credentials.json"
        saved = json.loads(path.read_text()) if path.exists() else {}

        key = saved.get("api_key")
        if not key or not ApiKey.objects.is_valid(key):
            _, key = api_key_create(branch_slug=DEMO_BRANCH, name="demo reception")

        users = get_user_model().objects
        password = saved.get("password")
        user = users.filter(username=DEMO_USERNAME).first()
        if user is None or not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            if user is None:
                users.create_superuser(DEMO_USERNAME, password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])

        path.write_text(json.dumps({"api_key": key, "password": password}))
        path.chmod(0o600)
        self.stdout.write(
            f"""
Demo clinic branch '{DEMO_BRANCH}' is ready.
  API:            {base_url}/api/v1/
  API docs:       {base_url}/api/docs/   (Redoc: {base_url}/api/redoc/)
  Admin:          {base_url}/admin/   user {DEMO_USERNAME}   password {password}
  Health:         {base_url}/healthz

Send this header with every API call:
Authorization: Api-Key {key}
"""
        )
