"""Writes of branch and access data."""

from django.db import transaction

from clinic.models import ApiKey, Branch


def api_key_create(*, branch_slug: str, name: str) -> tuple[ApiKey, str]:
    """Create a key (and its branch if new). Returns the key record and the plain key,
    which is never stored and cannot be shown again."""
    with transaction.atomic():
        branch, _ = Branch.objects.get_or_create(
            slug=branch_slug, defaults={"name": branch_slug.replace("-", " ").title()}
        )
        return ApiKey.objects.create_key(branch=branch, name=name)
