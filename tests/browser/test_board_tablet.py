"""The board on a tablet (768 px portrait, 1024 px landscape), in headless Chromium: the map and
the queues side by side, the first card of the untriaged queue in the first screen, nothing
wider than the screen, its buttons a finger's size, and axe-core finds nothing."""

from __future__ import annotations

import pytest

from govern.roles import DISPATCHER
from hazards.demo import seed_categories
from hazards.reports.services import hazard_report
from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import in_thread, login
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.browser

BOX = "selector => { const r = document.querySelector(selector).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def _report(description: str, severity: str):
    return hazard_report(
        reporter=None,
        category_slug="fire-passage",
        description=description,
        latitude=30.9062,
        longitude=120.8061,
        severity=severity,
        photos=[],
        photos_required=False,
    ).hazard


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768)], ids=["portrait", "landscape"])
def test_the_board_is_usable_on_a_tablet(asgi_live_server, browser, size):
    seed_categories()
    make_grid(west=120.80, south=30.90)
    UserFactory(username="duty", roles=[DISPATCHER])
    for n in range(3):
        in_thread(lambda n=n: _report(f"楼道里堆放纸箱 {n}", ["medium", "high", "critical"][n]))
    width, height = size
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "duty", "pw-govern-test")
    page.goto(asgi_live_server.url + "/office/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)

    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    map_box = page.evaluate(BOX, ".of-map-wrap")
    queue_box = page.evaluate(BOX, ".of-queues")
    assert map_box[2] <= queue_box[0], (map_box, queue_box)  # side by side
    first_card = page.evaluate(BOX, "#queue-untriaged .of-card")
    assert first_card[1] < height, first_card  # the work starts in the first screen
    buttons = page.evaluate(
        "Array.from(document.querySelectorAll('#queue-untriaged .of-card button')).map(b => b.getBoundingClientRect().height)"
    )
    assert buttons and min(buttons) >= 40, buttons
    assert axe_violations(page) == [] and english_leaks(page) == [] and errors == []
    context.close()
