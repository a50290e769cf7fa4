"""The inbox in a real headless Chromium: a dispatcher offers a task while the volunteer's inbox
page is open; the badges and the list update live, the notification opens the task. The inbox and
the settings page pass axe-core in Chinese at phone and desktop widths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govern.roles import ALL_ROLES, DISPATCHER, GRID_WORKER, VOLUNTEER
from hazards.demo import seed_categories
from hazards.dispatch import services as dispatch
from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import accepted_report, login, wait_until
from tests.conftest import SERVICES_MODE
from tests.factories import UserFactory, make_grid
from volunteers.duty import volunteer_duty_set
from volunteers.models import Volunteer, VolunteerStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(SERVICES_MODE, reason="the same templates and scripts: the embedded pass checks them"),
]

LIVE_TIMEOUT_MS = 15_000
SCREENSHOTS = os.environ.get("GOVERN_SCREENSHOTS", "")


def test_an_offer_reaches_the_open_inbox_live_and_opens_the_task(asgi_live_server, browser, settings, tmp_path):
    from django.contrib.auth.models import Group
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    seed_categories()
    worker = UserFactory(username="blue", roles=[VOLUNTEER], display_name="志愿者蓝盾")
    office = UserFactory(username="office", roles=[DISPATCHER])
    grid = make_grid(west=120.80, south=30.90)
    Volunteer.objects.create(
        user=worker,
        real_name="蓝盾小王",
        phone="13900001111",
        community=grid.community,
        status=VolunteerStatus.APPROVED,
    )
    volunteer_duty_set(actor=worker, on_duty=True, latitude=30.9063, longitude=120.8062)
    hazard = accepted_report(office=office)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "blue", "pw-govern-test")
    page.goto(f"{asgi_live_server.url}/me/notifications/")
    expect(page.locator(".notify-empty")).to_be_visible()
    wait_until(
        page, "() => window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE_TIMEOUT_MS
    )
    page.wait_for_timeout(300)  # the socket joins its groups right after opening

    outcome = asgi_live_server.call(dispatch.task_dispatch, hazard_id=hazard.pk, actor=office, assignee_id=worker.pk)
    task = outcome.tasks[0]
    item = page.locator("#inbox .notify-item.unread").first
    expect(item).to_contain_text("有一项任务邀请您处理", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#inbox-unread")).to_have_text("1")
    expect(page.locator("#topbar-unread")).to_have_text("1")

    for width, height in ((390, 844), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        assert axe_violations(page) == [], width
        assert english_leaks(page) == [], width
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SCREENSHOTS}/inbox-{width}.png", full_page=True)

    with page.expect_navigation():
        item.locator("button.notify-open").click()
    assert page.url.endswith(f"/tasks/?task={task.pk}")
    from govern.models import Notification

    assert Notification.objects.get(user=worker, channel="inbox").read_at is not None

    page.goto(f"{asgi_live_server.url}/me/notifications/preferences/")
    for width, height in ((390, 844), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        assert axe_violations(page) == [], width
        assert english_leaks(page) == [], width
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/notification-settings-{width}.png", full_page=True)
    assert errors == []
    context.close()


def test_the_board_shows_live_whether_an_offer_was_seen_and_how_it_was_sent(
    asgi_live_server, browser, settings, tmp_path
):
    """The dispatcher's board (1440 px) says, for the offer, "card not seen yet" and that a push and
    an SMS are due; the worker opens /tasks/ on a phone (390 px): the card is reported seen and the
    board says so live, the push no longer due. In Chinese, axe-clean."""
    from django.contrib.auth.models import Group
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    seed_categories()
    worker = UserFactory(username="gridder2", roles=[GRID_WORKER], display_name="网格员小王", phone="13700000002")
    office = UserFactory(username="office2", roles=[DISPATCHER])
    make_grid(west=120.80, south=30.90, workers=[worker])
    hazard = accepted_report(office=office)

    desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", bypass_csp=True)
    board = desk.new_page()
    errors: list[str] = []
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    login(board, asgi_live_server.url, "office2", "pw-govern-test")
    board.goto(f"{asgi_live_server.url}/office/")
    wait_until(
        board, "() => window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE_TIMEOUT_MS
    )
    board.wait_for_timeout(300)
    asgi_live_server.call(dispatch.task_dispatch, hazard_id=hazard.pk, actor=office, assignee_id=worker.pk)
    offer = board.locator(f'#queue-in_work .of-card[data-code="{hazard.tracking_code}"] [data-f=task]')
    expect(offer).to_contain_text("尚未看到任务卡片", timeout=LIVE_TIMEOUT_MS)

    board.reload()  # what the page renders says the same as what the events said
    expect(offer).to_contain_text("尚未看到任务卡片", timeout=LIVE_TIMEOUT_MS)
    expect(offer).to_contain_text("未查看将推送")
    expect(offer).to_contain_text("未接受将发短信")
    wait_until(
        board, "() => window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE_TIMEOUT_MS
    )
    board.wait_for_timeout(300)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", bypass_csp=True)
    tasks = phone.new_page()
    login(tasks, asgi_live_server.url, "gridder2", "pw-govern-test")
    tasks.goto(f"{asgi_live_server.url}/tasks/")
    expect(offer).to_contain_text("已看到任务卡片", timeout=LIVE_TIMEOUT_MS)
    expect(offer).to_contain_text("未推送")
    assert axe_violations(board) == []
    assert english_leaks(board) == []
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        board.screenshot(path=f"{SCREENSHOTS}/board-offer-reach-1440.png", full_page=True)
    assert errors == []
    desk.close()
    phone.close()
