"""The back office's hazard page, in headless Chromium, Chinese UI, at phone and desktop width: the
dispatcher reassigns an open task to another grid worker and links the hazard to a registered
premises, by the page's own forms (no API call from the test), and the page stays axe-core clean
with its new forms. The reporter's "not fixed" photo shows on the page. Only ids, data attributes
and Chinese data are asserted. GOVERN_SCREENSHOTS=<dir> keeps the two widths' screenshots."""

from __future__ import annotations

import os

import pytest

from govern.roles import ALL_ROLES, DISPATCHER, GRID_WORKER
from hazards.demo import seed_categories
from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import in_thread, login, wait_until
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("GOVERN_SCREENSHOTS", "")
INSIDE = (30.905, 120.805)


def _world():
    from django.contrib.auth.models import Group

    from hazards.dispatch.services import task_dispatch
    from hazards.premises.services import premises_create
    from hazards.reports.services import hazard_report
    from hazards.triage.services import hazard_triage
    from tests.hazards.images import jpeg_bytes, upload

    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    seed_categories()
    grid = make_grid(west=120.80, south=30.90)
    boss = UserFactory(username="duty", roles=[DISPATCHER], display_name="值班员")
    first = UserFactory(username="gw1", roles=[GRID_WORKER], display_name="网格员老张")
    second = UserFactory(username="gw2", roles=[GRID_WORKER], display_name="网格员小李")
    grid.workers.add(first, second)
    premises = premises_create(
        actor=boss,
        code="BR-0001",
        name="老街面馆",
        type="restaurant",
        address="文化路38号",
        latitude=INSIDE[0] + 0.0005,
        longitude=INSIDE[1],
        responsible_name="王建国",
    )
    hazard = hazard_report(
        reporter=None,
        category_slug="gas-safety",
        description="面馆后厨液化气罐紧挨灶台",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        address="文化路38号",
        photos=[upload("a.jpg", jpeg_bytes(size=(320, 240), seed=3))],
        client_data={"premises_hint": premises.pk},
    ).hazard
    hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept")
    task = task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=first.pk).tasks[0]
    # A second report of the same thing, accepted at triage: still mergeable into the first.
    again = hazard_report(
        reporter=None,
        category_slug="gas-safety",
        description="老街面馆液化气罐离灶台太近",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        photos=[upload("b.jpg", jpeg_bytes(size=(320, 240), seed=4))],
    ).hazard
    hazard_triage(hazard_id=again.pk, actor=boss, decision="accept")
    return hazard.pk, task.pk, second.pk, premises.pk, again.pk


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def test_reassign_and_link_from_the_hazard_page(asgi_live_server, browser, settings, tmp_path):
    from hazards.models import Task, TaskStatus
    from hazards.premises.models import PremisesHazard

    settings.MEDIA_ROOT = str(tmp_path)
    hazard_id, task_id, second_id, premises_id, again_id = in_thread(_world)
    base = asgi_live_server.url
    url = f"{base}/office/hazards/{hazard_id}/"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN", bypass_csp=True
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "duty", "pw-govern-test")
    page.goto(url)
    assert page.locator("#premises-hint").is_visible() and page.locator("form.of-reassign").count() == 1
    problems = axe_violations(page) + english_leaks(page)
    _shot(page, "hazard-page-zh-390.png")
    page.set_viewport_size({"width": 1440, "height": 900})
    problems += axe_violations(page)
    _shot(page, "hazard-page-zh-1440.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert not problems, problems

    # Reassign the offer to the other grid worker, with a reason (a plain form POST).
    form = page.locator("form.of-reassign")
    form.locator("select[name=assignee]").select_option(str(second_id))
    form.locator("input[name=reason]").fill("老张今天请假")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert in_thread(lambda: Task.objects.get(pk=task_id).status) == TaskStatus.CANCELLED
    offered = in_thread(
        lambda: list(Task.objects.filter(hazard_id=hazard_id, status="offered").values_list("assignee_id", flat=True))
    )
    assert offered == [second_id]
    wait_until(page, "document.querySelectorAll('#tasks [data-task-status=offered]').length === 1")

    # Link it to the premises the reporter named (preselected in the list).
    link = page.locator("#premises-form")
    assert link.locator("select[name=premises]").input_value() == str(premises_id)
    with page.expect_navigation():
        link.locator("button.of-link-premises").click()
    assert in_thread(lambda: PremisesHazard.objects.get(hazard_id=hazard_id).premises_id) == premises_id
    assert "老街面馆" in page.locator("#premises-linked").inner_text()

    # The later report is merged into the first from its own page (after triage).
    page.goto(f"{base}/office/hazards/{again_id}/")
    merge = page.locator("#duplicate-form")
    merge.locator("input[name=duplicate_of]").fill(str(hazard_id))
    with page.expect_navigation():
        merge.locator("button[type=submit]").click()
    assert page.locator("#hazard-status").get_attribute("data-status") == "duplicate"
    assert not errors, errors
    context.close()
