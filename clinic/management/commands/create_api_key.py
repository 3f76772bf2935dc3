from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug

from clinic.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for a clinic branch (creating the branch if needed). "
        "The plain key is printed once, on the last line, and stored only as a hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--branch", required=True, help="The branch's slug, e.g. north-leeds")
        parser.add_argument("--name", required=True, help="A label, e.g. 'front desk PC 2'")

    def handle(self, *args, branch: str, name: str, **options) -> None:
        try:
            validate_slug(branch)
        except ValidationError as exc:
            raise CommandError("--branch must be a slug: letters, digits, - and _") from exc
        if not name.strip() or len(name) > 50:
            raise CommandError("--name must be 1 to 50 characters")
        api_key, key = api_key_create(branch_slug=branch, name=name.strip())
        self.stderr.write(f"Created key {api_key.prefix} for branch {api_key.branch.slug}.")
        self.stdout.write(key)
