"""Processing a task's after-photos once its completion commits (the Celery task
`hazards.tasks.process_task_photos` runs it; eager in embedded mode)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from govern.errors import NotFound
from govern.live import publish
from govern.media.pending import apply_outcomes, process_pending
from govern.media.writer import PhotoWriter
from hazards import conf
from hazards.core import events
from hazards.core.locks import lock_task
from hazards.dispatch.proof import check_after_photos
from hazards.models import PhotoStatus, TaskPhoto


def task_photos_process(*, task_id: int) -> dict:
    """Re-encode a completed task's pending after-photos (as hazards.reports.photos does for
    reports: idempotent, decode outside the transaction, failures recorded with their reason,
    originals deleted once committed), run the proof-of-fix checks on them (hazards.dispatch.proof)
    and publish `task.updated` with the photos."""
    pending = list(TaskPhoto.objects.filter(task_id=task_id, status=PhotoStatus.PROCESSING).order_by("position", "id"))
    return process_pending(
        pending,
        limits=conf.photo_limits(),
        apply=lambda outcomes: _apply(task_id=task_id, pending=pending, outcomes=outcomes),
        what="task photo processing",
    )


def _apply(*, task_id: int, pending: list[TaskPhoto], outcomes) -> tuple[bool, list, list[str]]:
    """The rows filled in from the outcomes, in one transaction: (whether the task was deleted
    meanwhile, the rows that changed, the originals to delete once committed)."""
    with PhotoWriter("tasks") as writer, transaction.atomic():
        try:
            hazard, task = lock_task(task_id)
        except NotFound:
            return True, [], []
        rows = list(
            TaskPhoto.objects.select_for_update(no_key=True)
            .filter(task_id=task_id, pk__in=[row.pk for row in pending], status=PhotoStatus.PROCESSING)
            .order_by("pk")
        )
        changed, originals = apply_outcomes(
            rows, outcomes, writer, give_up_before=timezone.now() - conf.photo_unreadable_give_up()
        )
        if changed:
            processed = {outcome.photo_id: outcome.processed for outcome in outcomes if outcome.processed is not None}
            check_after_photos(hazard=hazard, task=task, photos=changed, processed=processed, now=timezone.now())
            photos = list(TaskPhoto.objects.filter(task_id=task_id).order_by("position", "id"))
            publish(events.task_topics(task), "task.updated", events.task_with_photos(task, photos))
    return False, changed, originals
