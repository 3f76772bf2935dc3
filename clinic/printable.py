"""Printable pages (the care plan, the referral letter): HTML the browser shows and prints.

They carry a patient's details, so the browser is told to load and run nothing but what the
project wrote: its one style sheet, inline in print_base.html (allowed by its hash, so that a
style element that somehow got into the page would not apply), and the Print button's script
(clinic/static/clinic/print.js: no inline script, no event handler attribute). Nothing may be
sent anywhere from the page. Every /api/ response, these included, is also
`Cache-Control: no-store` (clinic.middleware.NoStoreMiddleware).
"""

import base64
import hashlib
import re
from functools import cache
from typing import Any

from django.http import HttpResponse
from django.template.loader import get_template, render_to_string

PRINT_BASE = "print_base.html"
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
