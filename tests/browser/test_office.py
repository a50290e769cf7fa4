"""The dispatcher's board in headless Chromium: a report submitted from a resident's phone (a
second browser context) appears on the open board without a reload, and is triaged from it; an
on-duty responder appears and moves live, and the report is dispatched to them from the board; the card follows the task live (offered, accepted,
overdue into its own queue). Map tiles cannot load here (no internet): the board
works as lists, which is what the test drives."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from govern.roles import DISPATCHER, VOLUNTEER
from hazards.demo import seed_categories
from hazards.dispatch.escalation import tasks_escalate
from hazards.dispatch.services import task_accept
from hazards.models import Hazard
from tests.browser.harness import login, wait_until
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes
from volunteers.duty import volunteer_duty_set
from volunteers.models import Volunteer, VolunteerStatus

pytestmark = pytest.mark.browser


def test_a_phone_report_appears_on_the_board_and_is_triaged_there(asgi_live_server, phone_context, desktop_context):
    seed_categories()
    grid = make_grid(west=120.80, south=30.90)  # holds the phone's faked position 30.905, 120.805
    UserFactory(username="duty", roles=[DISPATCHER])
    helper = UserFactory(username="blue1", display_name="志愿者蓝盾", roles=[VOLUNTEER])
    volunteer = Volunteer.objects.create(
        user=helper,
        real_name="蓝盾小王",
        phone="13900001111",
        community=grid.community,
        status=VolunteerStatus.APPROVED,
    )

    board = desktop_context.new_page()
    errors = []
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    login(board, asgi_live_server.url, "duty", "pw-govern-test")
    board.goto(asgi_live_server.url + "/office/")
    wait_until(board, "window.GovernLive && document.getElementById('live-status').hidden")
    assert board.locator("#queue-untriaged .of-card").count() == 0
    assert board.locator("#count-untriaged").inner_text() == "0"

    # A resident reports from a phone, in another browser context.
    phone = phone_context.new_page()
    phone.goto(asgi_live_server.url + "/report/")
    wait_until(phone, "document.getElementById('latitude').value !== ''", timeout=10_000)
    phone.set_input_files(
        "#photo-gallery", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(seed=5)}]
    )
    phone.wait_for_selector("#photo-previews li img")
    phone.click("label.hz-chip:has(input[value=fire-passage])")
    phone.fill("#id_description", "楼道堆满纸箱，消防通道被堵")
    phone.click("#submit-btn")
    phone.wait_for_url(re.compile(r"/track/[23456789A-Z]{10}/\?new=1$"), timeout=20_000)
    code = phone.locator(".hz-code-big").inner_text().strip()
    hazard = Hazard.objects.get(tracking_code=code)

    # On the board, without a reload: the card, the count, the photo and the full description.
    card = board.locator(f'#queue-untriaged .of-card[data-code="{code}"]')
    card.wait_for(timeout=10_000)
    assert board.locator("#count-untriaged").inner_text() == "1"
    wait_until(
        board,
        "c => (document.querySelector(`.of-card[data-code='${c}'] [data-f=description]`) || {}).textContent === '楼道堆满纸箱，消防通道被堵'",
        arg=code,
        timeout=10_000,
    )
    assert not card.locator("[data-f=new]").is_hidden()

    # Triage in place: raise the severity to critical and accept.
    card.locator("select.of-severity").select_option("critical")
    card.locator("button.of-accept").click()
    moved = board.locator(f'#queue-unassigned .of-card[data-code="{code}"]')
    moved.wait_for(timeout=10_000)
    assert board.locator("#count-untriaged").inner_text() == "0"
    assert board.locator("#count-unassigned").inner_text() == "1"
    hazard.refresh_from_db()
    assert (hazard.status, hazard.severity) == ("triaged", "critical")
    assert "sev-critical" in moved.locator("[data-f=severity]").get_attribute("class")
    # The phone's tracking page followed the triage live.
    phone.wait_for_selector("#hazard-status[data-status=triaged]", timeout=10_000)

    # A responder goes on duty nearby: the board's responder list follows live.
    asgi_live_server.call(volunteer_duty_set, actor=helper, on_duty=True, latitude=30.9051, longitude=120.8051)
    item = board.locator(f'#volunteers [data-volunteer-id="{volunteer.pk}"]')
    item.wait_for(timeout=10_000)
    assert "蓝盾小王" in item.inner_text() and "30.9051" in item.inner_text()

    # Dispatch is one click away: the candidate list (distance, ETA), then dispatch in place.
    moved.locator("button.of-candidates-btn").click()
    candidate = moved.locator(".of-candidate-list li", has_text="志愿者蓝盾")
    candidate.wait_for(timeout=10_000)
    assert " m" in candidate.inner_text()
    candidate.locator("button.of-dispatch").click()
    board.locator(f'#queue-in_work .of-card[data-code="{code}"]').wait_for(timeout=10_000)
    hazard.refresh_from_db()
    assert hazard.status == "dispatched"
    assert hazard.tasks.get().assignee_id == helper.pk

    # The responder moves: the list follows live; going off duty removes them.
    asgi_live_server.call(volunteer_duty_set, actor=helper, on_duty=True, latitude=30.9080, longitude=120.8090)
    wait_until(
        board,
        "id => (document.querySelector(`#volunteers [data-volunteer-id='${id}']`) || {}).textContent.indexOf('30.9080') >= 0",
        arg=volunteer.pk,
        timeout=10_000,
    )
    asgi_live_server.call(volunteer_duty_set, actor=helper, on_duty=False)
    # Within the outbox scan's fallback too, should the layer's push be slow on a busy machine.
    item.wait_for(state="detached", timeout=30_000)

    # The card says who holds the offer (the name fetched from the task API), live.
    in_work = board.locator(f'#queue-in_work .of-card[data-code="{code}"]')
    in_work.locator("[data-f=task][data-task-status=offered]", has_text="志愿者蓝盾").wait_for(timeout=10_000)
    assert (
        board.locator("#count-in_work").inner_text() == "1" and board.locator("#count-unassigned").inner_text() == "0"
    )
    task = hazard.tasks.get()
    asgi_live_server.call(task_accept, task_id=task.pk, actor=helper)
    in_work.locator("[data-f=task][data-task-status=accepted]").wait_for(timeout=10_000)
    # Escalation finds it past its due time: task.overdue moves it to the overdue queue.
    task.refresh_from_db()
    asgi_live_server.call(tasks_escalate, now=task.due_at + timedelta(minutes=1))
    late = board.locator(f'#queue-overdue .of-card[data-code="{code}"]')
    late.wait_for(timeout=10_000)
    assert late.locator("[data-f=task]").get_attribute("data-task-status") == "overdue"
    assert board.locator("#count-overdue").inner_text() == "1" and board.locator("#count-in_work").inner_text() == "0"
    assert errors == []
