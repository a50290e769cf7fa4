"""The loop closed through the pages only (issue 18), in headless Chromium over HTTP and WebSockets,
Chinese UI, with no API call from the test: a phone report with a photo → accepted and dispatched
on the board → the volunteer (on duty from the home page) accepts, starts and completes with an
after-photo on /tasks/ → the card appears live in "to verify" with both photos (and the proof warning
of an after-photo without camera information) → Verify → the open
tracking page turns verified live and shows the after-photo → the volunteer's wallet holds the
task award → the resident (the browser that filed it) rates it fixed. Then "not fixed" lands live
in "reopen requested" and the dispatcher reopens from the hazard page.

Only ids, data attributes and Chinese data are asserted (the UI is Chinese): no English sentence."""

from __future__ import annotations

import re
import time

import pytest

from govern.models import User
from govern.roles import ALL_ROLES, DISPATCHER, RESIDENT, VOLUNTEER
from hazards.demo import seed_categories
from hazards.models import FixFeedback, Hazard, Status, Task, TaskStatus
from rewards.models import PointsAccount, PointsAward
from tests.browser.harness import in_thread, login, wait_until
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes
from volunteers.models import Volunteer, VolunteerStatus

pytestmark = pytest.mark.browser

LIVE = 20_000
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "geolocation": {"latitude": 30.905, "longitude": 120.805},
    "permissions": ["geolocation"],
}


def _world():
    from django.contrib.auth.models import Group

    for role in ALL_ROLES:  # a transactional test may follow another one's flush
        Group.objects.get_or_create(name=role)
    seed_categories()
    grid = make_grid(west=120.80, south=30.90)
    UserFactory(username="duty", roles=[DISPATCHER], display_name="值班员")
    helper = UserFactory(username="blue1", display_name="志愿者蓝盾", roles=[RESIDENT, VOLUNTEER])
    Volunteer.objects.create(
        user=helper,
        real_name="蓝盾小王",
        phone="13900001111",
        community=grid.community,
        status=VolunteerStatus.APPROVED,
    )
    return helper


def _live(page):
    wait_until(page, "window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE)
    page.wait_for_timeout(300)  # the socket joins its groups right after opening


def test_the_whole_loop_through_the_pages(asgi_live_server, browser, desktop_context, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    helper = in_thread(_world)
    base = asgi_live_server.url
    errors = []

    # The volunteer goes on duty from the home page (the phone shares its position).
    volunteer_context = browser.new_context(**PHONE)
    worker = volunteer_context.new_page()
    worker.on("pageerror", lambda exc: errors.append(str(exc)))
    login(worker, base, "blue1", "pw-govern-test")
    toggle = worker.locator("#duty-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "true", timeout=LIVE)

    # A resident reports from a phone, anonymously, with a photo.
    resident_context = browser.new_context(**PHONE)
    phone = resident_context.new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(base + "/report/")
    wait_until(phone, "document.getElementById('latitude').value !== ''", timeout=LIVE)
    phone.set_input_files(
        "#photo-gallery", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(seed=5)}]
    )
    phone.wait_for_selector("#photo-previews li img")
    phone.click("label.hz-chip:has(input[value=fire-passage])")
    phone.fill("#id_description", "楼道堆满纸箱，消防通道被堵")
    phone.click("#submit-btn")
    phone.wait_for_url(re.compile(r"/track/[23456789A-Z]{10}/\?new=1$"), timeout=LIVE)
    code = phone.locator(".hz-code-big").inner_text().strip()
    _live(phone)

    # The dispatcher accepts it and dispatches it to the volunteer from the board.
    board = desktop_context.new_page()
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    login(board, base, "duty", "pw-govern-test")
    board.goto(base + "/office/")
    card = board.locator(f'#queue-untriaged .of-card[data-code="{code}"]')
    card.wait_for(timeout=LIVE)
    card.locator("button.of-accept").click()
    moved = board.locator(f'#queue-unassigned .of-card[data-code="{code}"]')
    moved.wait_for(timeout=LIVE)
    moved.locator("button.of-candidates-btn").click()
    moved.locator(".of-candidate-list li", has_text="志愿者蓝盾").locator("button.of-dispatch").click()
    board.locator(f'#queue-in_work .of-card[data-code="{code}"]').wait_for(timeout=LIVE)
    _live(board)

    # The volunteer accepts, starts and completes it with an after-photo on /tasks/.
    worker.goto(base + "/tasks/")
    task_card = worker.locator("#open-tasks .tk-card").first
    expect(task_card).to_contain_text("楼道堆满纸箱", timeout=LIVE)
    task_card.locator("button[data-action=accept]").click()
    task_card.locator("button[data-action=start]").click(timeout=LIVE)
    form = task_card.locator("form.tk-complete")
    expect(form).to_be_visible(timeout=LIVE)
    form.locator("textarea[name=note]").fill("纸箱已清走，通道畅通")
    form.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "after.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes(size=(800, 600), seed=77, camera=False),
            }
        ]
    )
    form.locator("button[type=submit]").click()
    expect(task_card).to_have_attribute("data-status", "done", timeout=LIVE)

    # On the open board, without a reload: the card in "to verify" with both photos.
    verify_card = board.locator(f'#queue-to_verify .of-verify-card[data-code="{code}"]')
    verify_card.wait_for(timeout=LIVE)
    expect(verify_card.locator("img.of-before")).to_have_count(1, timeout=LIVE)
    expect(verify_card.locator("img.of-after")).to_have_count(1, timeout=LIVE)
    expect(verify_card.locator(".of-fix-note")).to_have_text("纸箱已清走，通道畅通")
    # The after-photo carries no camera information: the proof warning, in words, for the dispatcher.
    expect(verify_card.locator(".proof-flags")).to_contain_text("照片 1 没有任何相机信息", timeout=LIVE)
    expect(board.locator("#count-to_verify")).to_have_text("1")
    with board.expect_navigation():
        verify_card.locator("button.of-verify").click()
    expect(board.locator(f'#queue-to_verify [data-code="{code}"]')).to_have_count(0)

    # The open tracking page turned verified live and shows the after-photo.
    expect(phone.locator("#hazard-status")).to_have_attribute("data-status", "verified", timeout=LIVE)
    expect(phone.locator("#fix-photos img")).to_have_count(1, timeout=LIVE)
    expect(phone.locator("#fix-note")).to_have_text("纸箱已清走，通道畅通")
    assert phone.locator("#track-fix").inner_text().find("志愿者蓝盾") < 0  # never who fixed it

    # The volunteer's wallet holds the task award.
    task = Task.objects.get(hazard__tracking_code=code)
    awards = PointsAward.objects.filter(user=helper, source_type="hazards.task", source_id=str(task.pk))
    deadline = time.monotonic() + LIVE / 1000  # paid on commit of the verification, off the request
    while not awards.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    award = awards.get()
    worker.goto(base + "/wallet/")
    expect(worker.locator("#balance")).to_have_text(str(award.points_paid))
    assert award.points_paid > 0 and PointsAccount.objects.get(user=helper).balance == award.points_paid

    # The resident (the browser that filed it) rates it fixed, once.
    answer = phone.locator("#fix-answer")
    expect(answer).to_be_visible(timeout=LIVE)
    answer.locator(".hz-stars input[value='4']").check()
    answer.locator("#fix-comment").fill("很及时，谢谢")
    with phone.expect_navigation():
        answer.locator("#answer-fixed").click()
    expect(phone.locator("#fix-feedback")).to_have_attribute("data-fixed", "yes")
    assert phone.locator("#fix-answer").count() == 0
    feedback = FixFeedback.objects.get(hazard__tracking_code=code)
    assert (feedback.fixed, feedback.stars, feedback.comment) == (True, 4, "很及时，谢谢")
    assert Hazard.objects.get(tracking_code=code).status == Status.VERIFIED
    volunteer_context.close()
    resident_context.close()
    assert errors == []


def _fixed_for(resident_name: str):
    """A rectified hazard reported by a signed-in resident, fixed by a volunteer (through the services)."""
    from hazards.dispatch import services as dispatch
    from hazards.reports.services import hazard_report
    from hazards.triage.services import hazard_triage
    from tests.hazards.images import upload
    from volunteers.duty import volunteer_duty_set

    helper = _world()
    resident = UserFactory(username=resident_name, roles=[RESIDENT], display_name="居民甲")
    office = User.objects.get(username="duty")
    hazard = hazard_report(
        reporter=resident,
        category_slug="fire-passage",
        description="楼道漏水",
        latitude=30.9062,
        longitude=120.8061,
        photos=[upload("p.jpg", jpeg_bytes(size=(200, 150)))],
    ).hazard
    hazard_triage(hazard_id=hazard.pk, actor=office, decision="accept")
    volunteer_duty_set(actor=helper, on_duty=True, latitude=30.9051, longitude=120.8051)
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=office, assignee_id=helper.pk).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=helper)
    dispatch.task_start(task_id=task.pk, actor=helper)
    dispatch.task_complete(
        task_id=task.pk, actor=helper, note="已修好", photos=[upload("a.jpg", jpeg_bytes(size=(200, 150), seed=8))]
    )
    return hazard.tracking_code, task.pk


def test_not_fixed_lands_in_reopen_requested_and_the_dispatcher_reopens(
    asgi_live_server, phone_context, desktop_context, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    code, task_id = in_thread(lambda: _fixed_for("resident9"))
    base = asgi_live_server.url
    errors = []

    board = desktop_context.new_page()
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    login(board, base, "duty", "pw-govern-test")
    board.goto(base + "/office/")
    board.locator(f'#queue-to_verify [data-code="{code}"]').wait_for(timeout=LIVE)
    expect(board.locator(f'#queue-reopen_requested [data-code="{code}"]')).to_have_count(0)
    _live(board)

    # The signed-in reporter answers "not fixed" on the tracking page.
    phone = phone_context.new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    login(phone, base, "resident9", "pw-govern-test")
    phone.goto(f"{base}/track/{code}/")
    phone.locator("#fix-reason").fill("楼道还在漏水")
    with phone.expect_navigation():
        phone.locator("#answer-not-fixed").click()
    expect(phone.locator("#fix-feedback")).to_have_attribute("data-fixed", "no")
    _live(phone)

    # It lands live in "reopen requested"; the dispatcher opens the hazard page and reopens it.
    request = board.locator(f'#queue-reopen_requested [data-code="{code}"]')
    request.wait_for(timeout=LIVE)
    expect(request).to_contain_text("楼道还在漏水")
    with board.expect_navigation():
        request.locator("a.of-open-hazard").click()
    expect(board.locator("#reporter-answer")).to_have_attribute("data-fixed", "no")
    expect(board.locator("#reopen-form input[name=note]")).to_have_value("楼道还在漏水")
    with board.expect_navigation():
        board.locator("#reopen-form button.of-reopen").click()
    # The fix went back to the volunteer, with the reason on the task.
    expect(board.locator("#hazard-status")).to_have_attribute("data-status", "in_progress")
    task = Task.objects.get(pk=task_id)
    assert (task.status, task.reason) == (TaskStatus.IN_PROGRESS, "楼道还在漏水")
    expect(board.locator(f'#tasks [data-task-id="{task_id}"]')).to_have_attribute("data-task-status", "in_progress")
    # The reporter's tracking page followed live.
    expect(phone.locator("#hazard-status")).to_have_attribute("data-status", "in_progress", timeout=LIVE)
    board.goto(base + "/office/")
    expect(board.locator(f'#queue-reopen_requested [data-code="{code}"]')).to_have_count(0)
    assert errors == []
