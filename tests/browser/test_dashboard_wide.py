"""The dashboard on a 1440 px desktop, in headless Chromium: the back office uses the screen's
width (no 960 px column), the results table fits without sideways scrolling, and the heat map is
the grids on a map, each labelled, with a legend."""

from __future__ import annotations

import pytest

from govern.models import Grid
from tests.browser.harness import in_thread, login, wait_until
from tests.demo_world import DEMO_PASSWORD, seed_world

pytestmark = pytest.mark.browser


def test_the_dashboard_is_readable_on_a_wide_screen(asgi_live_server, browser):
    in_thread(seed_world)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "dispatcher", DEMO_PASSWORD)
    page.goto(asgi_live_server.url + "/office/dashboard/")
    page.wait_for_load_state("load")

    assert page.evaluate("document.querySelector('main, .page').getBoundingClientRect().width") > 1300
    wrap = page.evaluate(
        "(() => { const w = document.querySelector('#kpi-table').parentElement;"
        " return [w.scrollWidth, w.clientWidth]; })()"
    )
    assert wrap[0] <= wrap[1], wrap  # the whole table shows, no scrolling sideways
    wait_until(page, "!document.getElementById('heat-map').hidden", timeout=15_000)
    assert page.evaluate("document.getElementById('heat-map').getBoundingClientRect().width") > 700
    grids = in_thread(Grid.objects.count)
    wait_until(page, f"document.querySelectorAll('#heat-map .leaflet-tooltip').length >= {grids}", timeout=15_000)
    assert page.locator("#heat-legend li").count() >= 3
    assert errors == []
    context.close()
