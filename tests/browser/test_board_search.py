"""The board's search in headless Chromium (issue 18 item 2): on a phone with JavaScript off the GET
form finds a hazard by its code and by words of its description; on a desktop with the board's
scripts running the form and its results pass axe-core and show no English in the Chinese UI."""

from __future__ import annotations

import os

import pytest

from govern.roles import DISPATCHER
from hazards.demo import seed_categories
from hazards.reports.services import hazard_report
from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import in_thread, login
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("GOVERN_SCREENSHOTS", "")


def _report(description: str, severity: str = "medium"):
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


def test_search_works_without_javascript_and_is_accessible(asgi_live_server, browser):
    from playwright.sync_api import expect

    seed_categories()
    make_grid(west=120.80, south=30.90)
    UserFactory(username="duty", roles=[DISPATCHER])
    boxes = in_thread(lambda: _report("楼道里堆放纸箱，堵住了消防通道"))
    in_thread(lambda: _report("灭火器过期", "high"))
    base = asgi_live_server.url

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False)
    page = phone.new_page()
    login(page, base, "duty", "pw-govern-test")
    page.goto(base + "/office/")
    page.fill("#board-search input[name=q]", boxes.tracking_code.lower())
    with page.expect_navigation():
        page.click("#board-search button[type=submit]")
    expect(page.locator("#search-results .of-card")).to_have_count(1)
    expect(page.locator(f"#search-results [data-code='{boxes.tracking_code}'] a")).to_have_attribute(
        "href", f"/office/hazards/{boxes.pk}/"
    )
    page.goto(base + "/office/?q=纸箱&status=submitted")
    expect(page.locator("#search-results-title")).to_contain_text("找到 1 条隐患")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/board-search-phone-zh.png", full_page=False)
    phone.close()

    desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", bypass_csp=True)
    page = desk.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "duty", "pw-govern-test")
    page.goto(base + "/office/?q=纸箱&status=submitted")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    expect(page.locator("#search-results .of-card")).to_have_count(1)
    if SHOTS:
        page.locator("#board-search").screenshot(path=f"{SHOTS}/board-search-desktop-zh.png")
    problems = [line for line in axe_violations(page) if "board-search" in line or "search-" in line]
    problems += [line for line in english_leaks(page) if "search" in line]
    assert problems == [] and errors == []
    desk.close()
