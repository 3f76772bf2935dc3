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


def api_key_issue(*, branch: Branch, name: str, expiry_date=None) -> tuple[ApiKey, str]:
    """A new key for a branch; the plain key is returned once and never stored."""
    return ApiKey.objects.create_key(branch=branch, name=name, expiry_date=expiry_date)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    return api_key


def api_key_rotate(*, api_key: ApiKey) -> tuple[ApiKey, str]:
    """Replace a key: the old one stops working at once, the new one keeps its name."""
    with transaction.atomic():
        api_key_revoke(api_key=api_key)
        return api_key_issue(
            branch=api_key.branch, name=api_key.name, expiry_date=api_key.expiry_date
        )
