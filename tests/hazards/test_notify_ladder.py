"""The offer ladder (issue 22): an offer not seen within N s is pushed, not accepted within M s goes
by SMS; a card seen stops the push, an accepted offer stops both. The clock is frozen: every sweep
is given its `now`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from govern.models import Notification, NotificationStatus
from govern.notify import delivery
from govern.notify import services as notify_services
from hazards.dispatch import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


@pytest.fixture
def ladder(settings):
    settings.NOTIFY_OFFER_LADDER = {"low": [30, 120], "medium": [30, 120], "high": [30, 120], "critical": [10, 40]}


@pytest.fixture
def offered(ladder, vapid, push_receiver, on_duty, triaged, boss, run_on_commit):
    volunteer = on_duty(NEAR)
    user = volunteer.user
    user.phone = "13700000001"
    user.save(update_fields=["phone"])
    sub = push_receiver.subscription()
    notify_services.push_subscribe(
        actor=user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]
    )
    hazard = triaged()
    task = run_on_commit(services.task_dispatch, hazard_id=hazard.pk, actor=boss).tasks[0]
    delivery.sweep(now=task.offered_at)  # what the set-up owed (the approval's messages) goes now
    push_receiver.received.clear()
    return task, user


def row(task, channel):
    return Notification.objects.get(ref=f"task:{task.pk}", channel=channel)


def sms_lines(settings):
    path = Path(settings.NOTIFY_SMS_FILE)
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_unseen_offer_is_pushed_after_n_then_sent_by_sms_after_m(offered, push_receiver, settings):
    task, user = offered
    t0 = task.offered_at
    assert row(task, "inbox").status == NotificationStatus.SENT  # in the inbox at once
    before = len(sms_lines(settings))
    assert delivery.sweep(now=t0 + timedelta(seconds=29)) == 0 and push_receiver.received == []
    assert delivery.sweep(now=t0 + timedelta(seconds=31)) == 1
    assert len(push_receiver.received) == 1 and push_receiver.received[0]["data"]["url"] == f"/tasks/?task={task.pk}"
    assert delivery.sweep(now=t0 + timedelta(seconds=119)) == 0 and len(sms_lines(settings)) == before
    assert delivery.sweep(now=t0 + timedelta(seconds=121)) == 1
    assert sms_lines(settings)[-1]["phone"] == "13700000001"
    assert row(task, "push").status == row(task, "sms").status == NotificationStatus.SENT


def test_a_seen_card_stops_the_push_but_not_the_sms(offered, push_receiver, settings):
    task, user = offered
    t0 = task.offered_at
    response = client_for(user).post(f"/api/v1/tasks/{task.pk}/seen/")
    assert response.status_code == 204
    assert delivery.sweep(now=t0 + timedelta(seconds=31)) == 0 and push_receiver.received == []
    assert row(task, "push").status == NotificationStatus.CANCELLED
    assert delivery.sweep(now=t0 + timedelta(seconds=121)) == 1
    assert row(task, "sms").status == NotificationStatus.SENT


def test_nothing_is_sent_when_the_offer_is_accepted_first(offered, push_receiver, settings):
    task, user = offered
    t0 = task.offered_at
    before = len(sms_lines(settings))
    services.task_accept(task_id=task.pk, actor=user)
    assert delivery.sweep(now=t0 + timedelta(seconds=200)) == 0
    assert push_receiver.received == [] and len(sms_lines(settings)) == before
    assert row(task, "push").status == row(task, "sms").status == NotificationStatus.CANCELLED


def test_seen_is_only_for_the_tasks_own_person(offered, resident):
    task, _user = offered
    assert client_for(resident).post(f"/api/v1/tasks/{task.pk}/seen/").status_code == 404
    assert client_for(resident).post("/api/v1/tasks/999999/seen/").status_code == 404


def reach_events(task):
    from govern.models import LiveEvent

    return [e.data for e in LiveEvent.objects.filter(type="task.reach").order_by("pk") if e.data["id"] == task.pk]


def board_task(boss, task) -> dict:
    from django.test import Client

    client = Client()
    client.force_login(boss)
    response = client.get("/office/")
    assert response.status_code == 200
    for hazard in response.context["hazards_json"]:
        for item in hazard["tasks"]:
            if item["id"] == task.pk:
                return item
    raise AssertionError("the offer is not on the board")


def test_the_board_shows_whether_each_offer_was_seen_and_how_it_was_sent(offered, push_receiver, boss, settings):
    task, user = offered
    t0 = task.offered_at
    assert {k: board_task(boss, task)[k] for k in ("seen", "push", "sms")} == {
        "seen": False,
        "push": "pending",
        "sms": "pending",
    }
    assert delivery.sweep(now=t0 + timedelta(seconds=31)) == 1  # pushed: the board hears of it live
    assert reach_events(task)[-1] | {"at": None} == {
        "id": task.pk,
        "status": "offered",
        "assignee": user.pk,
        "hazard": {"id": task.hazard_id},
        "seen": False,
        "push": "sent",
        "sms": "pending",
        "at": None,
    }
    assert client_for(user).post(f"/api/v1/tasks/{task.pk}/seen/").status_code == 204
    assert reach_events(task)[-1]["seen"] is True
    assert delivery.sweep(now=t0 + timedelta(seconds=121)) == 1
    assert reach_events(task)[-1] | {"at": None} == {
        "id": task.pk,
        "status": "offered",
        "assignee": user.pk,
        "hazard": {"id": task.hazard_id},
        "seen": True,
        "push": "sent",
        "sms": "sent",
        "at": None,
    }
    assert {k: board_task(boss, task)[k] for k in ("seen", "push", "sms")} == {
        "seen": True,
        "push": "sent",
        "sms": "sent",
    }


def test_an_offer_seen_before_its_push_shows_the_push_not_needed(offered, boss):
    task, user = offered
    assert client_for(user).post(f"/api/v1/tasks/{task.pk}/seen/").status_code == 204
    assert reach_events(task)[-1]["seen"] is True and reach_events(task)[-1]["push"] == "cancelled"
    assert board_task(boss, task)["push"] == "cancelled"


def test_an_offer_close_to_its_deadline_is_reminded_once(offered, run_on_commit):
    from hazards.dispatch.escalation import tasks_escalate

    task, user = offered
    reminders = Notification.objects.filter(user=user, kind="offer_expiring", channel="inbox")
    assert run_on_commit(tasks_escalate, now=task.accept_deadline - timedelta(minutes=5)).warned == 0
    assert run_on_commit(tasks_escalate, now=task.accept_deadline - timedelta(seconds=90)).warned == 1
    assert run_on_commit(tasks_escalate, now=task.accept_deadline - timedelta(seconds=30)).warned == 0
    assert reminders.count() == 1 and reminders.get().ref == f"task:{task.pk}"
    assert reminders.get().data["expires_in_s"] == 90


def test_an_accepted_offer_is_not_reminded(offered, run_on_commit):
    from hazards.dispatch.escalation import tasks_escalate

    task, user = offered
    services.task_accept(task_id=task.pk, actor=user)
    assert run_on_commit(tasks_escalate, now=task.accept_deadline - timedelta(seconds=60)).warned == 0
    assert not Notification.objects.filter(kind="offer_expiring").exists()
