"""Printable pages (the care plan, the referral letter): HTML the browser shows and prints.

They carry a patient's details, so the browser is told to load and run nothing but what the
project wrote: its one style sheet, inline in print_base.html (allowed by its hash, so that a
style element that somehow got into the page would not apply), and the Print button's script
(clinic/static/clinic/print.js: no inline script, no event handler attribute). Nothing may be
sent anywhere from the page. Every /api/ response, these included, is also
`Cache-Control: no-store` (clinic.middleware.NoStoreMiddleware).

The same page is also a PDF (`Accept: application/pdf`, or a signed link's `?format=pdf`),
rendered by WeasyPrint from the same HTML with its print styles. WeasyPrint needs Pango and
its friends from the system (README, "PDFs"); without them the PDF answers 503 naming them,
never a 500. It fetches nothing: its URL fetcher refuses every URL but `data:`, so the page's
own script (which a PDF has no use for) and anything a page might name are not loaded, and the
fonts are the machine's own (fontconfig).
"""

import base64
import hashlib
import re
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template, render_to_string

from clinic.errors import Unavailable

PRINT_BASE = "print_base.html"
PDF = "application/pdf"
HTML = "text/html"
# What WeasyPrint loads from the system (Debian package names), named by the 503 and the README.
PDF_SYSTEM_LIBRARIES = "libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz0b, libfontconfig1"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@cache
def printable_page_policy() -> str:
    """The Content-Security-Policy of the printable pages. The style's hash is taken from the
    template's source: the style element holds no template tag, so it is sent exactly so."""
    source = get_template(PRINT_BASE).template.source
    hashes = [f"'sha256-{_sha256(style)}'" for style in _STYLE.findall(source)]
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {' '.join(hashes)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def printable_page(template_name: str, context: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(render_to_string(template_name, context))
    response["Content-Security-Policy"] = printable_page_policy()
    return response


def wants_pdf(request: HttpRequest) -> bool:
    """Whether `Accept` prefers a PDF to the HTML page: the first of the two by quality (then
    by order) wins; an Accept naming neither (`*/*`, none at all) gets the page."""
    ranked = []
    for position, part in enumerate(request.headers.get("Accept", "").split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.lower() in (PDF, HTML) and quality > 0:
            ranked.append((-quality, position, media.lower()))
    return bool(ranked) and min(ranked)[2] == PDF


def _weasyprint() -> Any:
    """The weasyprint module, or Unavailable naming the system libraries it could not load
    (it loads them with cffi when imported, and raises OSError when one is missing)."""
    try:
        import weasyprint
    except (OSError, ImportError) as missing:
        raise Unavailable(
            "PDFs cannot be made on this server: WeasyPrint could not load its system "
            f'libraries ({PDF_SYSTEM_LIBRARIES}). Install them (README, "PDFs") and restart; '
            "the HTML page still works."
        ) from missing
    return weasyprint


def pdf_available() -> None:
    """Raise Unavailable now, before anything is done (such as using a link up), if a PDF
    cannot be made."""
    _weasyprint()


def pdf_wanted(request: HttpRequest) -> bool:
    """Whether to answer with the PDF (`wants_pdf`); raises Unavailable first when a PDF is
    wanted but cannot be made on this server."""
    pdf = wants_pdf(request)
    if pdf:
        pdf_available()
    return pdf


def _local_only_fetcher(weasyprint: Any) -> Any:
    class LocalOnly(weasyprint.URLFetcher):
        """Refuses every URL but `data:`: a PDF of patient data fetches nothing."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError("The printable pages' PDFs load nothing from outside.")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols={"data"}, allow_redirects=False)


def render_pdf(html: str) -> bytes:
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, url_fetcher=_local_only_fetcher(weasyprint))
    return document.write_pdf()


def printable_pdf(template_name: str, context: dict[str, Any], filename: str) -> HttpResponse:
    """The page as a PDF. `filename` names the kind of paper, never the patient."""
    response = HttpResponse(render_pdf(render_to_string(template_name, context)), content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


def printable(
    template_name: str, context: dict[str, Any], *, pdf: bool, filename: str
) -> HttpResponse:
    if pdf:
        return printable_pdf(template_name, context, filename)
    return printable_page(template_name, context)
