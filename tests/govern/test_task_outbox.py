"""The task outbox: a task owed by a transaction is sent only if it commits, and never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import shared_task
from django.db import transaction

from govern.models import PendingTask
from govern.task_outbox import enqueue_on_commit, send_pending_tasks

RUNS: list[int] = []
FAIL: set[int] = set()


@shared_task(name="tests.govern.outbox_probe")
def outbox_probe(*, n: int) -> int:
    if n in FAIL:
        raise RuntimeError(f"probe {n} failed")
    RUNS.append(n)
    return n


@pytest.fixture(autouse=True)
def _reset():
    RUNS.clear()
    FAIL.clear()


@pytest.mark.django_db(transaction=True)
def test_sent_on_commit_and_forgotten_on_rollback():
    with transaction.atomic():
        enqueue_on_commit(outbox_probe.name, n=1)
        assert RUNS == [] and PendingTask.objects.count() == 1  # nothing runs before the commit
    assert RUNS == [1] and not PendingTask.objects.exists()

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        enqueue_on_commit(outbox_probe.name, n=2)
        1 / 0  # noqa: B018 - the change fails after the task was owed
    assert RUNS == [1] and not PendingTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_that_could_not_run_stays_until_the_outbox_is_sent():
    FAIL.add(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(outbox_probe.name, n=3)
    row = PendingTask.objects.get()
    assert row.task_name == "tests.govern.outbox_probe" and row.kwargs == {"n": 3}

    assert send_pending_tasks() == 0  # younger than the grace period: its own commit may still send it
    FAIL.clear()
    assert send_pending_tasks(now=row.created_at + timedelta(minutes=1)) == 1
    assert RUNS == [3] and not PendingTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_running_a_known_task_here_leaves_logging_as_it_was():
    """An eager run must not answer with django.setup(): that configures logging anew, and inside a
    worker's pool child (stderr redirected by Celery) the new handler swallowed every line after."""
    import logging

    handlers = list(logging.getLogger().handlers)
    with transaction.atomic():
        enqueue_on_commit(outbox_probe.name, n=4)
    assert RUNS == [4]
    assert logging.getLogger().handlers == handlers, "the root logger's handlers were replaced"
