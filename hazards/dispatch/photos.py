"""Processing a task's after-photos once its completion commits (the Celery task
`hazards.tasks.process_task_photos` runs it; eager in embedded mode)."""

from __future__ import annotations

from django.db import transaction

from govern.errors import NotFound
from govern.live import publish
from govern.media.pending import apply_outcomes, render_pending
from govern.media.quarantine import delete_originals
from govern.media.writer import PhotoWriter
from hazards import conf
from hazards.core import events
from hazards.core.locks import lock_task
from hazards.models import PhotoStatus, TaskPhoto


def task_photos_process(*, task_id: int) -> dict:
    """Re-encode a completed task's pending after-photos (as hazards.reports.photos does for
    reports: idempotent, decode outside the transaction, failures recorded with their reason,
    originals deleted once committed) and publish `task.updated` with the photos."""
    pending = list(TaskPhoto.objects.filter(task_id=task_id, status=PhotoStatus.PROCESSING).order_by("position", "id"))
    if not pending:
        return {"ready": 0, "failed": 0}
    outcomes = render_pending(pending, limits=conf.photo_limits())  # CPU-heavy; outside the transaction
    changed, originals, gone = [], [], False
    with PhotoWriter("tasks") as writer, transaction.atomic():
        try:
            _hazard, task = lock_task(task_id)
        except NotFound:
            gone = True
        else:
            rows = list(
                TaskPhoto.objects.select_for_update()
                .filter(task_id=task_id, pk__in=[row.pk for row in pending], status=PhotoStatus.PROCESSING)
                .order_by("pk")
            )
            changed, originals = apply_outcomes(rows, outcomes, writer)
            if changed:
                photos = list(TaskPhoto.objects.filter(task_id=task_id).order_by("position", "id"))
                publish(events.task_topics(task), "task.updated", events.task_with_photos(task, photos))
    if gone:
        originals = [row.original for row in pending]
    delete_originals(originals)
    return {
        "ready": sum(1 for row in changed if row.status == PhotoStatus.READY),
        "failed": sum(1 for row in changed if row.status == PhotoStatus.FAILED),
    }
