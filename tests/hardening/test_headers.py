"""Headers that keep patient data where it belongs, and the docs pages off the internet.

- Every response under /api/ is `Cache-Control: no-store`: no browser, proxy or shared cache
  keeps a copy of a patient's decision, care plan or letter.
- The printable pages may load and run only what the project serves
  (Content-Security-Policy), and the policy allows everything the pages need.
- The docs pages (Swagger UI, Redoc) load every asset from the project: no font, script,
  style or logo from another host, and a policy that lets the browser fetch none.
"""

import base64
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body
from tests.reviews.helpers import URGENT_GP, create_intake, history_url

# An address on another host: a scheme, or a scheme-relative `//host`. (`testserver` is the
# test client's own host; the pages use paths, so even it should not appear.)
EXTERNAL_URL = re.compile(r"(?:https?:)?//(?!testserver[/:\"'])[A-Za-z0-9.-]+", re.IGNORECASE)
PRINT_PAGES = ("care-plan/print/", "letter/")


@pytest.fixture
def stored(api) -> dict:
    return create_intake(api, "MRN-H1", **URGENT_GP)


def printable_url(stored: dict, page: str) -> str:
    if page == "letter/":
        return f"/api/v1/referrals/{stored['referral']['id']}/letter/"
    return f"{INTAKES}{stored['id']}/care-plan/print/"


class _Assets(HTMLParser):
    """What a page loads or runs: addresses of scripts, styles and images, inline scripts,
    inline styles and event handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.inline.append(f"{tag} {name}")
            if name == "style":
                self.inline.append(f"{tag} style attribute")
        if tag == "script":
            if "src" in attributes:
                self.urls.append(attributes["src"])
            else:
                self.inline.append("inline script")
        if tag == "style":
            self.inline.append("style element")
        if tag in ("link", "img", "iframe", "source") and (attributes.get("href")
                                                            or attributes.get("src")):  # fmt: skip
            self.urls.append(attributes.get("href") or attributes["src"])


def assets_of(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


# Cache-Control ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        INTAKES,
        "{intake}",
        "{intake}care-plan/",
        "{intake}care-plan/print/",
        "/api/v1/referrals/",
        "{referral}",
        "{referral}letter/",
        "{history}",
        "/api/v1/events/",
        "/api/v1/questionnaire/",
        "/api/v1/intakes/00000000-0000-0000-0000-000000000000/",  # 404
        f"{INTAKES}?disposition=nonsense",  # 400
        "/api/v1/no-such-thing/",  # 404 before any view
    ],
)
def test_every_api_response_is_no_store(api, stored, url):
    url = url.format(
        intake=f"{INTAKES}{stored['id']}/",
        referral=f"/api/v1/referrals/{stored['referral']['id']}/",
        history=history_url(stored["patient"]["id"]),
    )

    response = api.get(url, HTTP_ACCEPT="*/*")

    assert response["Cache-Control"] == "no-store", url


def test_writes_and_refusals_are_no_store(api, anonymous):
    created = post_json(api, INTAKES, intake_body())
    refused = anonymous.get(INTAKES)

    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    assert refused.status_code == 401
    assert refused["Cache-Control"] == "no-store"


# The printable pages ------------------------------------------------------------------------


@pytest.mark.parametrize("page", PRINT_PAGES)
def test_a_printable_page_may_load_and_run_only_what_the_project_serves(api, stored, page):
    response = api.get(printable_url(stored, page))

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert [source.startswith("'sha256-") for source in policy["style-src"]] == [True]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("page", PRINT_PAGES)
def test_the_policy_allows_everything_a_printable_page_needs(api, client, stored, page):
    response = api.get(printable_url(stored, page))
    html = response.content.decode()
    assets = assets_of(html)
    style_sources = directives(response["Content-Security-Policy"])["style-src"]

    # Its style sheet, allowed by its hash; no inline script or event handler attribute,
    # which the policy does not allow: the Print button's script is a file of the project.
    assert assets.inline == ["style element"]
    for style in re.findall(r"<style>(.*?)</style>", html, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in style_sources
    assert len(assets.urls) == 1, assets.urls
    for url in assets.urls:
        assert urlsplit(url).netloc == "" and url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    assert not EXTERNAL_URL.search(html)


# The docs pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_a_docs_page_names_no_other_host(client, url):
    html = client.get(url).content.decode()

    assert not EXTERNAL_URL.search(html), EXTERNAL_URL.findall(html)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_every_asset_of_a_docs_page_is_served_by_the_project(client, url):
    assets = assets_of(client.get(url).content.decode())

    assert assets.urls, "the page loads its scripts"
    for asset in assets.urls:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        if asset.endswith(".css"):
            css = b"".join(response.streaming_content).decode()
            # Fonts and images come from the sheet itself (data: URIs), nowhere else.
            assert "@import" not in css
            for reference in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
                assert reference.startswith("data:"), reference


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_a_docs_page_lets_the_browser_load_nothing_from_elsewhere(client, url):
    # Redoc draws its maker's logo from cdn.redoc.ly whatever it is told: the page's policy
    # is what keeps the browser from fetching it (see the browser test of the docs pages).
    policy = directives(client.get(url)["Content-Security-Policy"])

    assert policy["default-src"] == ["'none'"]
    allowed = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}
    for directive, sources in policy.items():
        assert set(sources) <= allowed, (directive, sources)
