"""Set up (or reuse) the local demo: a branch, an API key, a clinician's login (not a
superuser: they see what a clinician sees and land on the dashboard), a superuser for the
clinic's set-up, and a few demo intakes so the worklist is not empty.

Demo only: the plain key and password are kept in var/ so that `make run` can print them
again. Production keys are created with `create_api_key` and never written anywhere.
"""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from clinic.models import ApiKey, Branch, StaffRole
from clinic.services import api_key_create

DEMO_BRANCH = "demo"
DEMO_USERNAME = "demo.clinician"
DEMO_ADMIN = "demo.admin"


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

        password = self._login(DEMO_USERNAME, saved.get("password"), superuser=False)
        admin_password = self._login(DEMO_ADMIN, saved.get("admin_password"), superuser=True)
        branch = Branch.objects.get(slug=DEMO_BRANCH)
        clinician = get_user_model().objects.get(username=DEMO_USERNAME)
        StaffRole.objects.get_or_create(
            user=clinician, branch=branch, defaults={"role": StaffRole.Role.CLINICIAN}
        )
        # By name: the intakes are triage's, which clinic never imports.
        call_command("demo_intakes", branch=DEMO_BRANCH, stdout=self.stdout)

        path.write_text(
            json.dumps({"api_key": key, "password": password, "admin_password": admin_password})
        )
        path.chmod(0o600)
        self.stdout.write(
            f"""
Demo clinic branch '{DEMO_BRANCH}' is ready.
  API:            {base_url}/api/v1/
  API docs:       {base_url}/api/docs/   (Redoc: {base_url}/api/redoc/)
  Clinician:      {base_url}/admin/   user {DEMO_USERNAME}   password {password}
                  (lands on the dashboard's worklist)
  Superuser:      {base_url}/admin/   user {DEMO_ADMIN}   password {admin_password}
  Health:         {base_url}/healthz

Send this header with every API call:
Authorization: Api-Key {key}
"""
        )

    def _login(self, username: str, saved_password: str | None, *, superuser: bool) -> str:
        """The account's password: the saved one while it still works, else a new one. An
        earlier demo's clinician who was a superuser is one no longer."""
        users = get_user_model().objects
        user = users.filter(username=username).first()
        password = saved_password
        if user is None:
            password = secrets.token_urlsafe(12)
            create = users.create_superuser if superuser else users.create_user
            create(username, password=password, is_staff=True)
            return password
        changed = []
        if not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            changed.append("password")
        if user.is_superuser != superuser or not user.is_staff:
            user.is_superuser, user.is_staff = superuser, True
            changed += ["is_superuser", "is_staff"]
        if changed:
            user.save(update_fields=changed)
        return password
