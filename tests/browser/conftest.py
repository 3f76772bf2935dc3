"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against pytest-django's
live_server.

Data is created in the test thread through the public API (as the other tests do); the
person's side (signing in, reading, clicking, typing) happens only in the browser. Every test
leaves a full-page screenshot, passed or failed, in $CLINIC_VAR_DIR/screenshots/ (or
var/screenshots/ in the repository).
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.api.helpers import INTAKES, post_json
from tests.conftest import intake_body, key_client

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The machine has no internet: without these Chromium tries to reach Google (updates, sync,
# field trials, QUIC probes) and waits on it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "Lumbar-spine-2026!"  # a real password: people sign in through the login form
TIMEOUT_MS = 10_000  # fail fast: the live server answers in milliseconds

_screenshots: list[Path] = []


def screenshot_dir() -> Path:
    """$CLINIC_VAR_DIR/screenshots when CLINIC_VAR_DIR is set, else var/screenshots (ignored)."""
    var = os.environ.get("CLINIC_VAR_DIR")
    base = Path(var) if var else Path(settings.BASE_DIR) / "var"
    path = base / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_name(node_name: str) -> str:
    """test_x[tablet-768x1024] -> test_x-tablet-768x1024 (no shell glob characters)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", node_name).strip("-")


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless Chromium for the whole browser package (the run's only browser).

    Package-scoped rather than session-scoped on purpose: Playwright's sync API keeps an
    asyncio event loop marked as *running* in the test thread from start() until stop(). A
    session-scoped browser would leave it running through every test module collected after
    tests/browser/ (engine, hardening, referrals, reviews), where it breaks anything that checks
    for a running loop. Stopping it when the package ends confines it to these tests.
    """
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) or "
            'deselect the browser tests with -m "not browser" (make test does that for you).',
            pytrace=False,
        )
    # Django refuses ORM calls from a thread with a running event loop (SynchronousOnlyOperation).
    # Playwright's sync API marks its loop as running in this thread, yet the ORM calls the
    # tests make here (seeding data, checking what was saved, flushing the database after each
    # test) are ordinary synchronous calls that never run on that loop, so the check is a false
    # alarm. Allowed only while the browser runs, and only in this package.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the test, so teardown knows whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _save(page, path: Path) -> Path:
    try:
        page.screenshot(path=str(path), full_page=True)
    except PlaywrightTimeoutError:
        # A very long page (Redoc draws the whole API on one page) can take longer to capture
        # whole than a busy machine allows: keep what is on screen rather than no picture.
        page.screenshot(path=str(path), timeout=30_000)
        print(f"screenshot of the visible part only: {path}")
    _screenshots.append(path)
    print(f"screenshot: {path}")
    return path


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh browser context (no cookies) at 1280x800; a full-page screenshot is saved when
    the test ends, whether it passed or failed."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        try:
            reports = [getattr(request.node, f"report_{when}", None) for when in ("setup", "call")]
            if any(report is not None and report.failed for report in reports):
                print(f"{request.node.name} failed; the screenshot shows the page at that moment")
            _save(tab, screenshot_dir() / f"{_file_name(request.node.name)}.png")
        finally:
            context.close()


def pytest_terminal_summary(terminalreporter) -> None:
    if _screenshots:
        terminalreporter.write_sep("-", f"browser screenshots ({len(_screenshots)})")
        for path in _screenshots:
            terminalreporter.write_line(str(path))


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings) -> None:
    """Each test creates a person and signs them in through the form: with the production
    hasher (PBKDF2, a million rounds) that is over a second of hashing per test. The live server
    runs in this process and reads the same settings."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- data, created server-side through the public API ------------------------------------


@dataclass
class Clinic:
    """Two branches' patients and a clinician of `north` who signs in with a password."""

    emergency: str = "N-EMERG-1001"  # major injury: emergency medical referral
    callback: str = "N-CALLBK-1002"  # fever unknown: clinician call-back
    home: str = "N-HOME-1003"  # no findings: home care
    south: tuple[str, ...] = ("S-HIDDEN-2001", "S-HIDDEN-2002")
    username: str = "dr.north"
    password: str = PASSWORD
    intake_ids: dict[str, str] = field(default_factory=dict)  # external id -> intake id


def make_staff(username: str, branch_slug: str, role: str, password: str = PASSWORD):
    from django.contrib.auth import get_user_model

    from clinic.models import Branch, StaffRole

    branch, _ = Branch.objects.get_or_create(
        slug=branch_slug, defaults={"name": branch_slug.title()}
    )
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    StaffRole.objects.create(user=user, branch=branch, role=role)
    return user


def _submit(client, external_id: str, **answers) -> str:
    response = post_json(client, INTAKES, intake_body(external_id=external_id, **answers))
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


@pytest.fixture
def clinic(live_server) -> Clinic:
    """live_server makes the test transactional: what is created here is committed, so the
    server thread sees it, and the database is flushed after the test."""
    data = Clinic()
    north, south = key_client("north"), key_client("south")
    data.intake_ids[data.emergency] = _submit(north, data.emergency, trauma="major")
    data.intake_ids[data.callback] = _submit(north, data.callback, fever="unknown")
    data.intake_ids[data.home] = _submit(north, data.home)
    data.intake_ids[data.south[0]] = _submit(south, data.south[0], trauma="major")
    data.intake_ids[data.south[1]] = _submit(south, data.south[1], fever="unknown")
    make_staff(data.username, "north", "clinician")
    return data


def sign_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Through the admin's login form, as a person would."""
    response = page.goto(f"{live_server.url}/admin/login/")
    assert response.status == 200, f"the sign-in page answered HTTP {response.status}"
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/admin/login/" not in page.url, page.inner_text("body")


@pytest.fixture
def clinician_page(page, live_server, clinic):
    """The page, with the clinician of `north` signed in."""
    sign_in(page, live_server, clinic.username, clinic.password)
    return page
