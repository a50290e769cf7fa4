"""The task outbox: enqueue a Celery task so that a committed change never loses it.

`enqueue_on_commit(task, **kwargs)` writes a PendingTask row in the caller's transaction and,
on commit, hands the task to the broker and deletes the row. If the broker does not answer
(Redis down), the request still succeeds: the row stays and `send_pending_tasks` (the beat job
`govern.tasks.send_pending_tasks`, every minute) sends it when the broker is back. The same
pattern as the live-event outbox (govern.live), for the same reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta

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


def _send(row_id: int, task_name: str, kwargs: dict) -> bool:
    from govern.celery import app

    if app.conf.task_always_eager:
        # Embedded mode runs the task right here; its errors surface as they always did (and the
        # row stays, so `manage.py send_pending_tasks` can run it again).
        app.loader.import_default_modules()  # registers every app's tasks (a bare manage.py has not)
        app.tasks[task_name].apply(kwargs=kwargs, throw=True)
    else:
        try:
            # By name: the sending process need not have imported the task's module.
            app.send_task(task_name, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
        except Exception as exc:  # the broker is down or refused: keep the row for the beat job
            logger.warning("task outbox: %s #%s not sent yet: %s", task_name, row_id, exc)
            PendingTask.objects.filter(pk=row_id).update(attempts=F("attempts") + 1, last_error=str(exc)[:500])
            return False
    PendingTask.objects.filter(pk=row_id).delete()
    return True


def enqueue_on_commit(task, **kwargs) -> PendingTask:
    """Owe `task(**kwargs)` from the current transaction; sent when (and only if) it commits."""
    row = PendingTask.objects.create(task_name=task.name, kwargs=kwargs)
    transaction.on_commit(lambda: _send(row.pk, row.task_name, row.kwargs))
    return row


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
