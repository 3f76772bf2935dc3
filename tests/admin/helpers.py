from django.contrib.auth import get_user_model
from django.test import Client

from clinic.models import Branch, StaffRole

INTAKE_ADMIN = "/admin/triage/intake/"
REFERRAL_ADMIN = "/admin/referrals/referral/"


def signed_in(username: str, roles: dict[str, str]) -> Client:
    """A browser signed in as a person with `roles` ({branch slug: role})."""
    user = get_user_model().objects.create_user(username, password="not-used", is_staff=True)
    for slug, role in roles.items():
        branch, _ = Branch.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
        StaffRole.objects.create(user=user, branch=branch, role=role)
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()
