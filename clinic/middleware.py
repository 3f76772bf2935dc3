"""Request and response rules that hold for the whole service, before and after any view."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from clinic.api.errors import error_body
from clinic.api.throttling import CallerRateThrottle
from clinic.callers import KeyCaller, StaffCaller

# The APIs answer with patient data (JSON, FHIR and the printable pages): no browser, proxy or
# shared cache may keep a copy of any of it. Errors and the schema too: one rule is simpler
# than a list of what is safe to keep, and nothing under /api/ or /fhir/ is worth caching.
API_PREFIXES = ("/api/", "/fhir/")

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
    """`Cache-Control: no-store` on every response under /api/ and /fhir/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIXES):
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


class LengthRequiredMiddleware:
    """411 for a request body sent in chunks without a Content-Length. Django reads a body
    only as far as Content-Length says, so without one it reads nothing: a chunked intake
    would be refused as empty ("patient required"), or a chunked form as blank. Better to say
    what is wrong: clients send the length when asked (curl and every HTTP library can)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
            message = "Send the body with a Content-Length header, not in chunks."
            error = {"field": "Content-Length", "code": "length_required", "message": message}
            body = error_body(411, "length_required", message, [error])
            return JsonResponse(body, status=411)
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    """`RateLimit-Limit`, `-Remaining` and `-Reset` on every response to a caller with
    credentials (clinic.api.throttling): the allowance the throttle counted, or, for a request
    refused before it was counted (a 403), the allowance as it stands."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        allowance = getattr(request, "rate_limit", None)
        # DRF puts the API caller on the Django request. `type()`, not isinstance: the admin's
        # lazy user would be loaded (a query) by an isinstance check, and is never a caller.
        caller = getattr(request, "user", None)
        if allowance is None and type(caller) in (KeyCaller, StaffCaller):
            allowance = CallerRateThrottle().allowance(request)
        if allowance is not None:
            for name, value in allowance.headers().items():
                response[name] = value
        return response
