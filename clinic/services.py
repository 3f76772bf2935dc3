"""Writes of branch and access data."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from clinic.callers import Caller, KeyCaller, StaffCaller
from clinic.errors import Gone, NotFound
from clinic.models import ApiKey, Branch, PrintLink, StaffRole


def api_key_issue(
    *, branch: Branch, name: str, expiry_date=None, test: bool = False
) -> tuple[ApiKey, str]:
    """A new key for a branch; the plain key is returned once and never stored. A `test` key's
    intakes are marked test (see ApiKey.test)."""
    key, plain = ApiKey.objects.create_key(
        branch=branch, name=name, expiry_date=expiry_date, test=test
    )
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
            branch=api_key.branch,
            name=api_key.name,
            expiry_date=api_key.expiry_date,
            test=api_key.test,  # a test key's replacement is a test key
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


# How long a signed link to a printable page opens it: long enough to walk to the printer.
PRINT_LINK_LIFETIME = timedelta(minutes=15)


def _token_hash(token: str) -> str:
    # A token is 256 random bits: a plain SHA-256 of it cannot be reversed or guessed, and
    # lets the link be found by its hash alone (no salt to look up first).
    return hashlib.sha256(token.encode()).hexdigest()


def print_link_create(
    *, caller: Caller, purpose: str, object_id, branch_id: int
) -> tuple[PrintLink, str]:
    """A link that opens one printable page once within PRINT_LINK_LIFETIME. Returns the link
    and its token, which is stored only as a hash: the caller hands it on now or never."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = PrintLink.objects.create(
        token_hash=_token_hash(token),
        purpose=purpose,
        object_id=object_id,
        branch_id=branch_id,
        created_by=caller.actor,
        user=cast(User, caller.user) if isinstance(caller, StaffCaller) else None,
        api_key=caller.api_key if isinstance(caller, KeyCaller) else None,
        created_at=now,
        expires_at=now + PRINT_LINK_LIFETIME,
    )
    return link, token


def print_link_find(*, token: str, purpose: str) -> PrintLink:
    """The link of this token and purpose, whether or not it can still be used (for the audit
    of every attempt); NotFound when there is none: a care-plan token on the letter's address
    is no link at all."""
    link = (
        PrintLink.objects.select_related("user", "api_key")
        .filter(token_hash=_token_hash(token), purpose=purpose)
        .first()
    )
    if link is None:
        raise NotFound()
    return link


def print_link_use(*, link: PrintLink) -> PrintLink:
    """Use the link up (once), or Gone naming why it cannot be: used, or expired. The update
    is conditional, so two openings at the same moment cannot both succeed."""
    now = timezone.now()
    if link.used_at is None and link.expires_at <= now:
        raise Gone(
            "This link has expired: links are valid for 15 minutes. Ask the clinic for a new one."
        )
    used = PrintLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not used:
        raise Gone("This link has been used already: a link opens its page once. "
                   "Ask the clinic for a new one.")  # fmt: skip
    link.used_at = now
    return link
