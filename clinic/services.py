"""Writes of branch and access data."""

import secrets
from collections.abc import Iterable
from typing import cast

from django.contrib.auth import get_user_model
from django.db import transaction
from knox.models import AuthToken

from clinic.models import ApiKey, Branch, StaffRole


def api_key_issue(*, branch: Branch, name: str, expiry_date=None) -> tuple[ApiKey, str]:
    """A new key for a branch; the plain key is returned once and never stored."""
    key, plain = ApiKey.objects.create_key(branch=branch, name=name, expiry_date=expiry_date)
    return cast(ApiKey, key), plain  # the manager of ApiKey creates ApiKeys


def api_key_create(*, branch_slug: str, name: str) -> tuple[ApiKey, str]:
    """api_key_issue for a branch named by its slug (the commands' and tests' way), creating
    the branch if new."""
    with transaction.atomic():
        branch, _ = Branch.objects.get_or_create(
            slug=branch_slug, defaults={"name": branch_slug.replace("-", " ").title()}
        )
        return api_key_issue(branch=branch, name=name)


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


class UsernameUnavailable(Exception):
    """The user name belongs to an account a clinic admin may not give a role to."""


def staff_role_grant(
    *, branch: Branch, username: str, role: str, administered: Iterable[int] = ()
) -> tuple[StaffRole, str | None]:
    """Give a person a role in a branch, creating their own account if they have none.

    An existing account may be given a role only if it holds none outside the branches the
    granting admin administers (`administered`, with `branch`) and is not a superuser: a
    clinic admin must not reach into another branch's staff or an operator's account. Every
    such refusal is the same `UsernameUnavailable`, whoever holds the name, so the answer
    tells nothing about where else an account works.

    Returns the role and, for a new account only, a one-time password to hand to the person
    (they should change it); accounts are never shared."""
    users = get_user_model().objects
    reachable = {branch.pk, *administered}
    with transaction.atomic():
        user = users.select_for_update().filter(username=username).first()
        password = None
        if user is not None and (
            user.is_superuser or user.staff_roles.exclude(branch_id__in=reachable).exists()
        ):
            raise UsernameUnavailable()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = users.create_user(username, password=password, is_staff=True)
        elif not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        staff_role, _ = StaffRole.objects.update_or_create(
            user=user, branch=branch, defaults={"role": role}
        )
    return staff_role, password


def staff_role_remove(*, staff_role: StaffRole) -> None:
    """End a person's access to a branch. With no branch left they are no longer staff: their
    API tokens go, and without `is_staff` they can neither sign in to the admin nor mint a
    new token (a role given again makes them staff again)."""
    with transaction.atomic():
        user = staff_role.user
        staff_role.delete()
        if not user.is_superuser and not user.staff_roles.exists():
            AuthToken.objects.filter(user=user).delete()
            if user.is_staff:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
