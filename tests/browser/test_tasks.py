"""A dispatcher's dispatch reaches the grid worker's open /tasks/ page without a reload (with the
sound and the badge); the grid worker accepts, starts and completes it with a camera photo, in
place, in a real headless Chromium over HTTP and WebSockets."""

from __future__ import annotations

import pytest

from govern.roles import ALL_ROLES, DISPATCHER, GRID_WORKER
from hazards.demo import seed_categories
from hazards.dispatch import services as dispatch
from hazards.models import Hazard, Status, Task, TaskStatus
from hazards.reports.services import hazard_report
from hazards.triage.services import hazard_triage
from tests.browser.harness import accepted_report, login, wait_until
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 15_000


def test_dispatch_appears_live_and_is_completed_with_a_photo(asgi_live_server, phone_context, settings, tmp_path):
    from django.contrib.auth.models import Group
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    for role in ALL_ROLES:  # a transactional test may follow another one's flush
        Group.objects.get_or_create(name=role)
    seed_categories()
    worker = UserFactory(username="gridder", roles=[GRID_WORKER], display_name="网格员")
    office = UserFactory(username="office", roles=[DISPATCHER])
    grid = make_grid(west=120.80, south=30.90, workers=[worker])
    hazard = accepted_report(office=office)
    assert hazard.grid_id == grid.pk

    page = phone_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "gridder", "pw-govern-test")
    page.goto(f"{asgi_live_server.url}/tasks/")
    expect(page.locator("#no-open-tasks")).to_be_visible()
    wait_until(
        page, "() => window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE_TIMEOUT_MS
    )
    page.wait_for_timeout(300)  # the socket joins its groups right after opening

    # The dispatcher dispatches (the way a request on the server would): the offer appears live.
    outcome = asgi_live_server.call(dispatch.task_dispatch, hazard_id=hazard.pk, actor=office, assignee_id=worker.pk)
    task = outcome.tasks[0]
    card = page.locator(f"#open-tasks .tk-card[data-task-id='{task.pk}']")
    expect(card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(card).to_contain_text("消防通道堵塞")
    expect(page.locator("#offer-badge")).to_have_text("1")
    assert page.evaluate("window.__taskBeeps || 0") >= 1
    expect(card.locator(".tk-distance")).to_contain_text("m", timeout=LIVE_TIMEOUT_MS)  # from the phone's position

    card.locator("button[data-action=accept]").click()
    expect(card.locator("button[data-action=start]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    card.locator("button[data-action=start]").click()
    form = card.locator("form.tk-complete")
    expect(form).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert form.locator("input[type=file]").get_attribute("capture") == "environment"
    form.locator("textarea[name=note]").fill("已清走电动车，通道畅通")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(800, 600), seed=77)}]
    )

    # A second offer arrives while the worker is writing: the list refreshes live, but the note
    # and the photo being entered stay. The worker declines the new offer in the card (no dialog).
    second = hazard_report(
        reporter=None,
        category_slug="fire-passage",
        description="楼道堆放杂物",
        latitude=30.9063,
        longitude=120.8062,
        photos=[upload("q.jpg", jpeg_bytes(size=(200, 150), seed=5))],
    ).hazard
    hazard_triage(hazard_id=second.pk, actor=office, decision="accept")
    offer = asgi_live_server.call(
        dispatch.task_dispatch, hazard_id=second.pk, actor=office, assignee_id=worker.pk
    ).tasks[0]
    offer_card = page.locator(f"#open-tasks .tk-card[data-task-id='{offer.pk}']")
    expect(offer_card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(form.locator("textarea[name=note]")).to_have_value("已清走电动车，通道畅通")
    assert form.locator("input[type=file]").evaluate("el => el.files.length") == 1
    offer_card.locator("button[data-action=decline]").click()
    decline = offer_card.locator("form.tk-decline")
    expect(decline).to_be_visible()
    decline.locator("input[name=reason]").fill("手头任务未完成")
    decline.locator("button[type=submit]").click()
    expect(offer_card).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    offer.refresh_from_db()
    assert offer.status == TaskStatus.DECLINED and offer.reason == "手头任务未完成"
    expect(form.locator("textarea[name=note]")).to_have_value("已清走电动车，通道畅通")

    form.locator("button[type=submit]").click()
    expect(card).to_contain_text("等待核实", timeout=LIVE_TIMEOUT_MS)

    def completed():
        done = Task.objects.get(pk=task.pk)
        return done.status, done.note, done.photos.count(), Hazard.objects.get(pk=hazard.pk).status

    # Read through the server's own worker thread, as a request would: the completion's photo
    # may still be being re-encoded there, right after the commit that updated the page.
    assert asgi_live_server.call(completed) == (TaskStatus.DONE, "已清走电动车，通道畅通", 1, Status.RECTIFIED)

    # History tab: after verification the task moves there, live.
    asgi_live_server.call(dispatch.task_verify, task_id=task.pk, actor=office, approved=True)
    expect(card).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    page.click("#tab-history")
    expect(page.locator("#task-history")).to_contain_text(hazard.tracking_code)
    assert errors == []
