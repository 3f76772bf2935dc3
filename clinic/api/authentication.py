"""API-key authentication for reception systems: `Authorization: Api-Key <key>`."""

from dataclasses import dataclass

from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from clinic.models import ApiKey, Branch


@dataclass(frozen=True)
class BranchCaller:
    """Who is calling: a reception system acting for exactly one branch."""

    api_key: ApiKey

    is_authenticated = True
    is_staff = False

    @property
    def branch(self) -> Branch:
        return self.api_key.branch

    @property
    def branch_ids(self) -> tuple[int, ...]:
        return (self.api_key.branch_id,)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[BranchCaller, ApiKey] | None:
        key = self.parser.get(request)
        if key is None:
            return None  # no Api-Key header: let the permission answer 401
        try:
            api_key = ApiKey.objects.get_from_key(key.strip())
        except ApiKey.DoesNotExist:
            api_key = None
        if api_key is None or api_key.has_expired:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        return BranchCaller(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
