"""Who is calling the API, whatever the credential: what it may see and how it is named."""

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User

from clinic.models import CLINICAL_ROLES, ApiKey, Branch, StaffRole


class Caller:
    """Base for every authenticated caller. `branch_ids` bounds everything it may see."""

    is_authenticated = True

    @property
    def branch_ids(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def branch(self) -> Branch | None:
        """The branch new records go to, when the caller acts for exactly one."""
        raise NotImplementedError

    @property
    def actor(self) -> str:
        """How history and audit name the caller: never a patient detail."""
        raise NotImplementedError

    @property
    def identity(self) -> str:
        """A stable id for the credential, for per-caller state such as idempotency keys."""
        raise NotImplementedError

    def is_clinician_in(self, branch_id: int) -> bool:
        return False

    def branch_ids_as(self, roles: tuple[str, ...]) -> tuple[int, ...]:
        """The branches where the caller holds one of `roles` (a reception system: none)."""
        return ()

    def sees_answers_in(self, branch_id: int) -> bool:
        """Minimum necessary: only clinicians (and clinic admins) see a patient's full answers;
        reception sees decisions and referral status."""
        return self.is_clinician_in(branch_id)


@dataclass(frozen=True)
class KeyCaller(Caller):
    """A reception system acting for exactly one branch."""

    api_key: ApiKey

    @property
    def branch_ids(self) -> tuple[int, ...]:
        return (self.api_key.branch_id,)

    @property
    def branch(self) -> Branch:
        return self.api_key.branch

    @property
    def actor(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    @property
    def identity(self) -> str:
        return f"key:{self.api_key.prefix}"  # unique; the key's pk embeds its hash


@dataclass(frozen=True)
class StaffCaller(Caller):
    """A person signed in, with a role in each of their branches (superusers: every branch)."""

    user: User | AnonymousUser  # staff sign in as Django's default User model
    roles: dict[int, str] = field(default_factory=dict)

    @classmethod
    def for_user(cls, user: User | AnonymousUser) -> "StaffCaller":
        roles: dict[int, str]
        if not (user.is_authenticated and user.is_active):
            roles = {}  # e.g. the admin's sign-in page asking what a visitor may see
        elif user.is_superuser:
            roles = dict.fromkeys(
                Branch.objects.values_list("id", flat=True), StaffRole.Role.CLINIC_ADMIN
            )
        else:
            roles = dict(StaffRole.objects.filter(user=user).values_list("branch_id", "role"))
        return cls(user=user, roles=roles)

    @property
    def branch_ids(self) -> tuple[int, ...]:
        return tuple(self.roles)

    @property
    def branch(self) -> Branch | None:
        if len(self.roles) != 1:
            return None
        return Branch.objects.get(pk=next(iter(self.roles)))

    @property
    def actor(self) -> str:
        return f"user:{self.user.get_username()}"

    @property
    def identity(self) -> str:
        return f"user:{self.user.pk}"

    def is_clinician_in(self, branch_id: int) -> bool:
        return self.roles.get(branch_id) in CLINICAL_ROLES

    def branch_ids_as(self, roles: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(branch for branch, role in self.roles.items() if role in roles)
