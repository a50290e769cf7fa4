"""The board's script-drawn "unassigned" cards in headless Chromium: a hazard back there because its
offer expired unanswered says so and is offered again to the same responder in one click — both
when the page is drawn with it and when the offer expires while the board is open."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from govern.roles import DISPATCHER, GRID_WORKER
from hazards.demo import seed_categories
from hazards.reports.services import hazard_report
from tests.browser.harness import in_thread, login, wait_until
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.browser

LIVE = 15_000
SHOTS = os.environ.get("GOVERN_SCREENSHOTS", "")


def _triaged(description: str, actor_id: int) -> int:
    from django.contrib.auth import get_user_model

    from hazards.core.lifecycle import hazard_transition
    from hazards.models import Status

    hazard = hazard_report(
        reporter=None,
        category_slug="fire-passage",
        description=description,
        latitude=30.9062,
        longitude=120.8061,
        severity="medium",
        photos=[],
        photos_required=False,
    ).hazard
    actor = get_user_model().objects.get(pk=actor_id)
    hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED)
    return hazard.pk


def _offer_and_expire(hazard_id: int, dispatcher_id: int, worker_id: int) -> None:
    from django.contrib.auth import get_user_model

    from hazards.dispatch.escalation import tasks_escalate
    from hazards.dispatch.services import task_dispatch

    dispatcher = get_user_model().objects.get(pk=dispatcher_id)
    [task] = task_dispatch(hazard_id=hazard_id, actor=dispatcher, assignee_id=worker_id).tasks
    tasks_escalate(now=task.accept_deadline + timedelta(minutes=1))


def _offered_to(hazard_id: int) -> list[int]:
    from hazards.models import Task, TaskStatus

    return list(
        Task.objects.filter(hazard_id=hazard_id, status=TaskStatus.OFFERED).values_list("assignee_id", flat=True)
    )


def test_unassigned_cards_mark_expired_offers_and_offer_them_again(asgi_live_server, desktop_context):
    from playwright.sync_api import expect

    seed_categories()
    grid = make_grid(west=120.80, south=30.90)
    duty = UserFactory(username="duty", roles=[DISPATCHER])
    worker = UserFactory(username="wang", display_name="王网格", roles=[GRID_WORKER])
    grid.workers.add(worker)
    before = in_thread(lambda: _triaged("楼道里堆放纸箱", duty.pk))
    in_thread(lambda: _offer_and_expire(before, duty.pk, worker.pk))
    live = in_thread(lambda: _triaged("灭火器过期", duty.pk))

    page = desktop_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "duty", "pw-govern-test")
    page.goto(asgi_live_server.url + "/office/")
    wait_until(page, "window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE)

    # Drawn with the page: marked expired, with the one-click re-offer beside the usual buttons.
    drawn = page.locator(f"#queue-unassigned [data-hazard-id='{before}']")
    expect(drawn.locator("[data-f=task]")).to_contain_text("已派给 王网格")
    expect(drawn.locator("[data-f=task]")).to_have_attribute("data-task-status", "expired")
    expect(drawn.locator("button.of-reoffer")).to_have_text("再次派给 王网格")
    expect(drawn.locator("button.of-dispatch-best")).to_have_count(1)
    # A hazard never offered has no such line.
    fresh = page.locator(f"#queue-unassigned [data-hazard-id='{live}']")
    expect(fresh.locator("[data-f=task]")).to_be_hidden()
    expect(fresh.locator("button.of-reoffer")).to_have_count(0)

    # Expiring while the board is open: the card comes back to "unassigned" marked, live.
    in_thread(lambda: _offer_and_expire(live, duty.pk, worker.pk))
    moved = page.locator(f"#queue-unassigned [data-hazard-id='{live}']")
    expect(moved.locator("[data-f=task]")).to_contain_text("已派给 王网格", timeout=LIVE)
    expect(moved.locator("button.of-reoffer")).to_have_text("再次派给 王网格", timeout=LIVE)
    if SHOTS:
        moved.screenshot(path=f"{SHOTS}/board-expired-card-zh.png")

    # One click offers it to the same responder again; the card leaves "unassigned" for "in work".
    moved.locator("button.of-reoffer").click()
    expect(page.locator(f"#queue-in_work [data-hazard-id='{live}']")).to_have_count(1, timeout=LIVE)
    expect(page.locator(f"#queue-in_work [data-hazard-id='{live}'] button.of-reoffer")).to_have_count(0)
    assert in_thread(lambda: _offered_to(live)) == [worker.pk]
    assert errors == []
