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
