"""Issue 18 (board): offers nobody accepted in time show as expired on the board, with a one-click
re-offer (a form POST, so without JavaScript too) through the dispatch services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards.dispatch.escalation import tasks_escalate
from hazards.dispatch.services import task_dispatch
from hazards.models import Hazard, Status, Task, TaskStatus
from tests.factories import make_grid
from tests.office.conftest import move

pytestmark = pytest.mark.django_db


def _expired(hazard_at, grid, worker, dispatcher) -> tuple[Hazard, Task]:
    """Offered to the grid's worker, not accepted in time; nobody else free: back to triage."""
    hazard = move(hazard_at(grid, timezone.now()), [(Status.TRIAGED, timezone.now().strftime("%Y-%m-%d %H:%M"))])
    [task] = task_dispatch(hazard_id=hazard.pk, actor=dispatcher, assignee_id=worker.pk).tasks
    tasks_escalate(now=task.accept_deadline + timedelta(minutes=1))
    task.refresh_from_db()
    hazard.refresh_from_db()
    assert task.status == TaskStatus.EXPIRED and hazard.status == Status.TRIAGED
    return hazard, task


def _queue(html: str) -> str:
    start = html.index('id="queue-offers_expired"')
    return html[start : html.index("</ul>", start)]


def test_an_expired_offer_shows_as_expired_and_is_offered_again_in_one_click(
    client, dispatcher, grid_worker, hazard_at, grid
):
    hazard, task = _expired(hazard_at, grid, grid_worker, dispatcher)
    client.force_login(dispatcher)
    html = client.get("/office/").content.decode()
    card = _queue(html)
    assert f'data-hazard-id="{hazard.pk}"' in card and f'data-task-id="{task.pk}"' in card
    name = grid_worker.display_name or grid_worker.username
    assert "已超时" in card and f"已派给 {name}，截至" in card and f"再次派给 {name}" in card
    assert (
        f'action="/office/hazards/{hazard.pk}/dispatch/"' in card
        and f'name="assignee" value="{grid_worker.pk}"' in card
    )
    assert 'id="count-offers_expired">1<' in html

    response = client.post(f"/office/hazards/{hazard.pk}/dispatch/", {"assignee": grid_worker.pk, "next": "/office/"})
    assert response.status_code == 302 and response["Location"] == "/office/"
    hazard.refresh_from_db()
    again = Task.objects.filter(hazard=hazard, status=TaskStatus.OFFERED).get()
    assert hazard.status == Status.DISPATCHED and again.assignee_id == grid_worker.pk and again.pk != task.pk
    html = client.get("/office/").content.decode()
    assert f'data-hazard-id="{hazard.pk}"' not in _queue(html) and "没有无人接单而过期的派单" in html
    assert "已派给" in html  # the flash message: offered to …

    # Not accepted again: it is back in the queue, this time with the new expired offer.
    tasks_escalate(now=again.accept_deadline + timedelta(minutes=1))
    card = _queue(client.get("/office/queues/").content.decode())
    assert f'data-task-id="{again.pk}"' in card and f'data-task-id="{task.pk}"' not in card


def test_offering_to_the_best_candidate_with_nobody_free_says_so(client, dispatcher, grid_worker, hazard_at, grid):
    hazard, _ = _expired(hazard_at, grid, grid_worker, dispatcher)
    client.force_login(dispatcher)
    response = client.post(f"/office/hazards/{hazard.pk}/dispatch/", {"next": "/office/"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "无人" in html  # the service's sentence, in Chinese
    hazard.refresh_from_db()
    assert hazard.status == Status.TRIAGED and f'data-hazard-id="{hazard.pk}"' in _queue(html)


def test_a_hazard_dispatched_again_or_accepted_is_not_in_the_queue(client, dispatcher, grid_worker, hazard_at, grid):
    hazard, task = _expired(hazard_at, grid, grid_worker, dispatcher)
    Hazard.objects.filter(pk=hazard.pk).update(status=Status.REJECTED)  # moved on some other way
    client.force_login(dispatcher)
    assert f'data-hazard-id="{hazard.pk}"' not in _queue(client.get("/office/").content.decode())


def test_queue_queries_do_not_grow(client, dispatcher, grid_worker, hazard_at, grid, django_assert_max_num_queries):
    _expired(hazard_at, grid, grid_worker, dispatcher)
    client.force_login(dispatcher)
    with django_assert_max_num_queries(40) as board_small:
        assert client.get("/office/").status_code == 200
    with django_assert_max_num_queries(40) as fragment_small:
        assert client.get("/office/queues/").status_code == 200
    for i in range(6):
        other = make_grid(west=120.83, south=30.91 + i * 0.002, size=0.002)
        other.workers.add(grid_worker)
        _expired(hazard_at, other, grid_worker, dispatcher)
    with django_assert_max_num_queries(len(board_small.captured_queries)):
        html = client.get("/office/").content.decode()
    assert _queue(html).count("of-expired-card") == 7
    with django_assert_max_num_queries(len(fragment_small.captured_queries)):
        assert client.get("/office/queues/").content.decode().count("of-expired-card") == 7
