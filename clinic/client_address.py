"""The address a request came from, as the deployment's own proxies saw it.

Each trusted proxy in front of the app appends the address it received the request from to
X-Forwarded-For. Behind `TRUSTED_PROXY_COUNT` of them, the entry that many places from the
right is the address the outermost one saw; everything left of it was written by the client
and may be forged. With no proxy in front (the default) the header is ignored altogether, so a
client cannot pick the address it is counted under (throttling, failed sign-ins).
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT  # read per request, so tests and settings can vary
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    # Fewer entries than proxies means a proxy did not append: take the oldest there is, as
    # DRF does with NUM_PROXIES (rest_framework.throttling.BaseThrottle.get_ident).
    return hops[-min(proxies, len(hops))] or remote
