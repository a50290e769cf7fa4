"""The broadcast race against PostgreSQL with real threads: exactly one accept wins, the other 409s."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from govern.errors import Conflict
from hazards.dispatch import services
from hazards.models import Task, TaskStatus

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_people_race_for_one_broadcast_offer(triaged, on_duty, boss):
    people = [on_duty((30.9051, 120.8051)), on_duty((30.9052, 120.8052)), on_duty((30.9053, 120.8053))]
    hazard = triaged()
    tasks = services.task_dispatch(hazard_id=hazard.pk, actor=boss, broadcast=3).tasks
    assert len(tasks) == 3
    by_user = {t.assignee_id: t.pk for t in tasks}
    barrier = threading.Barrier(len(people))
    results: dict[int, str] = {}

    def accept(volunteer):
        try:
            barrier.wait(timeout=10)
            services.task_accept(task_id=by_user[volunteer.user_id], actor=volunteer.user)
            results[volunteer.user_id] = "won"
        except Conflict as exc:
            results[volunteer.user_id] = f"409:{exc.code}"
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["409:taken", "409:taken", "won"]
    statuses = sorted(Task.objects.filter(hazard=hazard).values_list("status", flat=True))
    assert statuses == sorted([TaskStatus.ACCEPTED, TaskStatus.CANCELLED, TaskStatus.CANCELLED])


def test_a_reassignment_racing_the_accept_leaves_one_engaged_task(triaged, on_duty, boss):
    """The assignee accepts while a dispatcher reassigns the offer: whichever takes the hazard's lock
    first wins, the other gets a 409, and the hazard never has two engaged or two live offers."""
    from hazards.dispatch.reassign import task_reassign

    first, second = on_duty((30.9051, 120.8051)), on_duty((30.9052, 120.8052))
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=first.user_id).tasks[0]
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def run(name, work):
        try:
            barrier.wait(timeout=10)
            work()
            results[name] = "ok"
        except Conflict as exc:
            results[name] = f"409:{exc.code}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("accept", lambda: services.task_accept(task_id=task.pk, actor=first.user))),
        threading.Thread(
            target=run,
            args=(
                "reassign",
                lambda: task_reassign(task_id=task.pk, actor=boss, assignee_id=second.user_id, reason="换人"),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # The reassignment also withdraws an accepted task, so both may succeed in that order; the
    # accept after a reassignment is refused. Either way one person holds the hazard.
    assert results["reassign"] == "ok" and results["accept"] in ("ok", "409:task_state"), results
    live = list(
        Task.objects.filter(hazard=hazard).exclude(status=TaskStatus.CANCELLED).values_list("assignee_id", "status")
    )
    assert live == [(second.user_id, TaskStatus.OFFERED)]
