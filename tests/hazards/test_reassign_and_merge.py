"""Reassigning an open task and marking a triaged report a duplicate, through the service, the
back office's hazard page (form POSTs, no JavaScript), the grid worker's queue and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from govern.errors import Conflict, InvalidInput, NotFound
from govern.roles import GRID_WORKER
from hazards.dispatch import services as dispatch
from hazards.dispatch.reassign import task_reassign
from hazards.models import HazardEvent, Status, Task, TaskStatus
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.hazards.conftest import english

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


def office(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def started(triaged, on_duty, boss):
    """(task in progress with the first volunteer, a second volunteer on duty nearby)."""
    hazard = triaged()
    first, second = on_duty(NEAR, name="甲"), on_duty(NEAR, name="乙")
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=first.user_id).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=first.user)
    dispatch.task_start(task_id=task.pk, actor=first.user)
    return Task.objects.get(pk=task.pk), second


def test_reassign_a_started_task_from_the_hazard_page(started, boss):
    task, second = started
    client = english(office(boss))
    url = f"/office/hazards/{task.hazard_id}/"
    page = client.get(url)
    offered = [c.user_id for c in page.context["reassign_to"]]
    assert second.user_id in offered and task.assignee_id not in offered
    assert "of-reassign" in page.content.decode()

    # No reason: the page says so and nothing moves.
    client.post(url + "reassign/", {"task": task.pk, "assignee": second.user_id})
    assert "Say why the task is reassigned" in client.get(url).content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS

    done = client.post(url + "reassign/", {"task": task.pk, "assignee": second.user_id, "reason": "甲生病了"})
    assert done.status_code == 302 and done["Location"] == url
    old = Task.objects.get(pk=task.pk)
    assert (old.status, old.reason) == (TaskStatus.CANCELLED, "甲生病了")
    new = Task.objects.get(hazard_id=task.hazard_id, status=TaskStatus.OFFERED)
    assert new.assignee_id == second.user_id
    hazard = new.hazard
    assert hazard.status == Status.DISPATCHED
    steps = list(HazardEvent.objects.filter(hazard=hazard).values_list("to_status", flat=True))
    assert steps[-2:] == [Status.TRIAGED, Status.DISPATCHED]
    # The reason stays with the office: the public note does not repeat it.
    assert "生病" not in hazard.status_note
    assert "Reassigned to" in client.get(url).content.decode()


def test_reassign_an_offer_keeps_the_hazard_dispatched(triaged, on_duty, boss):
    hazard = triaged()
    first, second = on_duty(NEAR), on_duty(NEAR)
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=first.user_id).tasks[0]
    before = HazardEvent.objects.filter(hazard=hazard).count()
    new = task_reassign(task_id=task.pk, actor=boss, assignee_id=second.user_id, reason="太远")
    assert new.status == TaskStatus.OFFERED and new.assignee_id == second.user_id
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED
    new.hazard.refresh_from_db()
    assert new.hazard.status == Status.DISPATCHED and HazardEvent.objects.filter(hazard=hazard).count() == before


def test_reassign_refusals_change_nothing(started, boss, other_grid):
    task, second = started
    with pytest.raises(Conflict):  # the same person again
        task_reassign(task_id=task.pk, actor=boss, assignee_id=task.assignee_id, reason="再来")
    with pytest.raises(InvalidInput) as bad:  # neither the grid's worker nor a volunteer
        task_reassign(task_id=task.pk, actor=boss, assignee_id=UserFactory().pk, reason="换人")
    assert bad.value.field == "assignee"
    stranger = UserFactory(roles=[GRID_WORKER])
    other_grid.workers.add(stranger)
    with pytest.raises(NotFound):  # another grid's worker does not see the task
        task_reassign(task_id=task.pk, actor=stranger, assignee_id=second.user_id, reason="换人")
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS
    assert Task.objects.filter(hazard_id=task.hazard_id).count() == 1


def test_reassign_through_the_api_and_by_the_grids_worker(started, grid_worker):
    task, second = started
    url = f"/api/v1/tasks/{task.pk}/reassign/"
    worker = english(client_for(grid_worker))
    missing = worker.post(url, {"assignee": second.user_id}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    answer = worker.post(url, {"assignee": second.user_id, "reason": "换人"}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "offered" and answer.json()["assignee"]["id"] == second.user_id
    again = worker.post(url, {"assignee": second.user_id, "reason": "换人"}, format="json")
    assert again.status_code == 409 and again.json()["detail"] == "This task was cancelled: 换人"


def test_a_triaged_report_is_merged_from_the_hazard_page(triaged, make_hazard, boss):
    original, later = triaged(), triaged()
    client = english(office(boss))
    url = f"/office/hazards/{later.pk}/"
    assert 'id="duplicate-form"' in client.get(url).content.decode()
    client.post(url + "triage/", {"decision": "duplicate", "duplicate_of": original.tracking_code})
    later.refresh_from_db()
    assert later.status == Status.DUPLICATE and later.duplicate_of_id == original.pk


def test_no_merge_once_someone_is_sent(started, boss):
    task, _second = started
    page = office(boss).get(f"/office/hazards/{task.hazard_id}/")
    assert not page.context["page"].actions["duplicate"] and 'id="duplicate-form"' not in page.content.decode()


def test_the_grids_worker_merges_a_triaged_report_in_their_grid_only(triaged, grid_worker, other_grid, boss):
    original, later = triaged(), triaged()
    elsewhere = triaged(latitude=30.905, longitude=120.815)
    assert elsewhere.grid_id == other_grid.pk
    client = english(office(grid_worker))
    cards = {c.hazard.pk: c for c in client.get("/grid/").context["cards"]}
    assert cards[later.pk].can_merge and not cards[later.pk].can_triage
    assert "gq-merge" in client.get("/grid/").content.decode()
    client.post(f"/grid/hazards/{later.pk}/triage/", {"decision": "duplicate", "duplicate_of": elsewhere.tracking_code})
    assert "does not exist or is not yours" in client.get("/grid/").content.decode()
    later.refresh_from_db()
    assert later.status == Status.TRIAGED
    client.post(f"/grid/hazards/{later.pk}/triage/", {"decision": "duplicate", "duplicate_of": original.tracking_code})
    later.refresh_from_db()
    assert later.status == Status.DUPLICATE and later.duplicate_of_id == original.pk
