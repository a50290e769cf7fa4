"""The board's search in headless Chromium (issue 18 item 2): on a phone with JavaScript off the GET
form finds a hazard by its code and by words of its description; on a desktop with the board's
scripts running the form and its results pass axe-core and show no English in the Chinese UI.
And an offer nobody accepted in time appears live in "offers expired" and is offered again in a click."""

from __future__ import annotations

import os

import pytest

from govern.roles import DISPATCHER
from hazards.demo import seed_categories
from hazards.reports.services import hazard_report
from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import in_thread, login, wait_until
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


def _offer_and_expire(hazard_id: int, dispatcher_id: int, worker_id: int) -> None:
    from datetime import timedelta

    from django.contrib.auth import get_user_model

    from hazards.dispatch.escalation import tasks_escalate
    from hazards.dispatch.services import task_dispatch

    dispatcher = get_user_model().objects.get(pk=dispatcher_id)
    [task] = task_dispatch(hazard_id=hazard_id, actor=dispatcher, assignee_id=worker_id).tasks
    tasks_escalate(now=task.accept_deadline + timedelta(minutes=1))


def test_an_expired_offer_appears_live_and_is_offered_again_in_one_click(asgi_live_server, desktop_context):
    from playwright.sync_api import expect

    from govern.roles import GRID_WORKER
    from hazards.core.lifecycle import hazard_transition
    from hazards.models import Status, Task, TaskStatus

    seed_categories()
    grid = make_grid(west=120.80, south=30.90)
    duty = UserFactory(username="duty", roles=[DISPATCHER])
    worker = UserFactory(username="wang", display_name="王网格", roles=[GRID_WORKER])
    grid.workers.add(worker)
    hazard = in_thread(lambda: _report("楼道里堆放纸箱"))
    in_thread(lambda: hazard_transition(hazard_id=hazard.pk, actor=duty, to_status=Status.TRIAGED))

    page = desktop_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "duty", "pw-govern-test")
    page.goto(asgi_live_server.url + "/office/")
    wait_until(page, "window.GovernLive && document.getElementById('live-status').hidden", timeout=15_000)
    expect(page.locator("#queue-offers_expired .of-expired-card")).to_have_count(0)

    in_thread(lambda: _offer_and_expire(hazard.pk, duty.pk, worker.pk))
    card = page.locator(f"#queue-offers_expired [data-hazard-id='{hazard.pk}']")
    expect(card).to_have_count(1, timeout=15_000)  # live, without a reload
    expect(card).to_contain_text("已派给 王网格")
    with page.expect_navigation():
        card.locator("button.of-reoffer").click()
    expect(page.locator(f"#queue-offers_expired [data-hazard-id='{hazard.pk}']")).to_have_count(0)
    assert in_thread(lambda: Task.objects.filter(hazard_id=hazard.pk, status=TaskStatus.OFFERED).count()) == 1
    assert errors == []
