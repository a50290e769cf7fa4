"""The one way a service queues Celery work: by the task's name, after its transaction commits.

Services name the task ("rewards.tasks.award_points") and never import a tasks module or the
Celery app, so an app's services never depend on its (or another app's) task layer.

- `enqueue_on_commit(name, **kwargs)`: the task outbox. It writes a PendingTask row in the
  caller's transaction and, on commit, hands the task to the broker and deletes the row. If the
  broker does not answer (Redis down), the request still succeeds: the row stays and
  `send_pending_tasks` (the beat job `govern.tasks.send_pending_tasks`, every minute) sends it when
  the broker is back. The same pattern as the live-event outbox (govern.live), for the same reason.
- `send_after_commit(name, **kwargs)`: for work whose own rows already are the durable record of
  what is owed (photos left `processing`, which a sweep re-sends), so no outbox row is written.
  One quick try on commit; a broker that is down is logged and left to the sweep.

Embedded mode (eager Celery, and the tests) runs the task in this process: `enqueue_on_commit`
when the transaction commits, `send_after_commit` right away (its caller has committed), so what
the task does is done when the service returns.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from govern.models import PendingTask

logger = logging.getLogger(__name__)

# One quick try on commit: a request must not hang on a dead broker (kombu's default retries for
# several seconds). The beat job retries with the same settings.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# A row younger than this may still be on its way from its own on_commit hook.
GRACE = timedelta(seconds=30)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _run_here(task_name: str, kwargs: dict) -> None:
    """Run a task in this process (embedded mode); its errors are raised."""
    if task_name not in current_app.tasks:
        # A bare manage.py has not imported the apps' tasks modules. Only then: Celery's Django
        # fixup answers this import with django.setup() and the system checks, which configure
        # logging again. In a process whose stderr Celery has redirected (an eager task run inside
        # a worker's pool child) the new handler would write into that redirect, which drops what
        # loops back to it: the child fell silent, its "succeeded" lines included.
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].apply(kwargs=kwargs, throw=True)


def _to_broker(task_name: str, kwargs: dict) -> None:
    # By name: the sending process need not have imported the task's module.
    current_app.send_task(task_name, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)


def _send(row_id: int, task_name: str, kwargs: dict) -> bool:
    if _eager():
        # Embedded mode runs the task right here; its errors surface as they always did (and the
        # row stays, so `manage.py send_pending_tasks` can run it again).
        _run_here(task_name, kwargs)
    else:
        try:
            _to_broker(task_name, kwargs)
        except Exception as exc:  # the broker is down or refused: keep the row for the beat job
            logger.warning("task outbox: %s #%s not sent yet: %s", task_name, row_id, exc)
            PendingTask.objects.filter(pk=row_id).update(attempts=F("attempts") + 1, last_error=str(exc)[:500])
            return False
    PendingTask.objects.filter(pk=row_id).delete()
    return True


def enqueue_on_commit(task_name: str, **kwargs) -> PendingTask:
    """Owe the task named `task_name` from the current transaction; sent when (and only if) it commits."""
    row = PendingTask.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: _send(row.pk, row.task_name, row.kwargs))
    return row


def send_after_commit(task_name: str, **kwargs) -> bool:
    """Start the task named `task_name` once the caller's transaction commits (at once outside one);
    call it after the service's own `transaction.atomic()` block.

    No outbox row: the caller's rows are the record of the work owed, and a sweep re-sends what a
    lost message left undone. Embedded mode runs it right here, in this thread; a failure there
    is logged, never raised (the request's own work is committed; the sweep retries). Returns
    True when the task ran here.
    """
    if _eager():
        try:
            _run_here(task_name, kwargs)
        except Exception:
            logger.exception("%s(%s) failed in eager mode", task_name, kwargs)
        return True

    def send() -> None:
        try:
            _to_broker(task_name, kwargs)
        except Exception as exc:  # broker down: the caller's rows stay owed and its sweep sends it later
            logger.warning("%s(%s) not sent: %s", task_name, kwargs, exc)

    transaction.on_commit(send)
    return False


def send_pending_tasks(*, now=None, limit: int = 500, grace: timedelta = GRACE) -> int:
    """Send what earlier commits could not (beat job). Returns how many were handed over.

    A row is claimed by deleting it inside the send's transaction only after the broker took
    it, so two beat runs at once may both send a task: harmless, tasks are idempotent.
    """
    now = now or timezone.now()
    sent = 0
    rows = list(PendingTask.objects.filter(created_at__lte=now - grace).order_by("id")[:limit])
    for row in rows:
        sent += _send(row.pk, row.task_name, row.kwargs)
    return sent
