"""Request and response rules that hold for the whole service, before and after any view."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# The API answers with patient data (JSON and the printable pages): no browser, proxy or
# shared cache may keep a copy of any of it. Errors and the schema too: one rule is simpler
# than a list of what is safe to keep, and nothing under /api/ is worth caching.
API_PREFIX = "/api/"

# The docs pages load only what the project serves (the drf-spectacular sidecar's files and
# the schema): Redoc draws its maker's logo from the internet whatever it is told, and a
# browser that may load nothing from elsewhere does not fetch it. Redoc and Swagger UI set
# styles inline; Swagger UI's page starts it with an inline script (holding the CSRF token, so
# it has no fixed hash); Redoc searches in a worker it makes from a blob.
_DOCS_COMMON = (
    "default-src 'none'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
)
DOCS_PAGE_POLICIES = {
    SpectacularRedocView: "; ".join(("script-src 'self'", "worker-src blob:", *_DOCS_COMMON)),
    SpectacularSwaggerView: "; ".join(("script-src 'self' 'unsafe-inline'", *_DOCS_COMMON)),
}


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response under /api/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            response["Cache-Control"] = "no-store"
        return response


class DocsPagePolicyMiddleware:
    """The Content-Security-Policy of the API's docs pages (see DOCS_PAGE_POLICIES)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        view_class = getattr(match.func, "cls", None) if match is not None else None
        for docs_view, policy in DOCS_PAGE_POLICIES.items():
            if view_class is not None and issubclass(view_class, docs_view):
                response["Content-Security-Policy"] = policy
        return response
