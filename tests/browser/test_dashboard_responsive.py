"""The dashboard fits a desktop screen and a tablet held upright: no sideways scrolling, and
the charts are on screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.page_checks import LAYOUT_JS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("width", "height"),
    [pytest.param(1280, 800, id="desktop-1280x800"), pytest.param(768, 1024, id="tablet-768x1024")],
)
def test_the_dashboard_fits_the_screen(clinician_page, live_server, width, height):
    page = clinician_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/admin/dashboard/")

    layout = page.evaluate(LAYOUT_JS)

    assert layout["innerWidth"] == width
    assert layout["scrollWidth"] <= layout["innerWidth"], (
        f"the page scrolls sideways at {width}px: {layout['scrollWidth']}px wide, "
        f"sticking out: {layout['widest']}"
    )
    charts = page.locator("#content svg")
    expect(charts).to_have_count(2)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
            f"a chart is cut off at {width}px: {box}"
        )
