"""Sweeps of the photo pipeline (beat jobs): photos whose processing got lost, and quarantined
uploads no photo row names."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.apps import apps
from django.utils import timezone

from govern.media.quarantine import quarantine_storage
from govern.task_outbox import send_after_commit
from hazards import conf
from hazards.models import FeedbackPhoto, HazardPhoto, PhotoStatus, StoredPhoto, TaskPhoto

logger = logging.getLogger(__name__)


def photos_sweep(*, older_than_s: int = 300) -> dict:
    """Re-enqueue processing for photos still pending after `older_than_s` (a lost message, a
    broker down at commit, a worker killed mid-task). Safe to overlap: processing is idempotent."""
    before = timezone.now() - timedelta(seconds=older_than_s)
    hazard_ids = sorted(
        set(
            HazardPhoto.objects.filter(status=PhotoStatus.PROCESSING, created_at__lt=before).values_list(
                "hazard_id", flat=True
            )
        )
    )
    task_ids = sorted(
        set(
            TaskPhoto.objects.filter(status=PhotoStatus.PROCESSING, created_at__lt=before).values_list(
                "task_id", flat=True
            )
        )
    )
    feedback_ids = sorted(
        set(
            FeedbackPhoto.objects.filter(status=PhotoStatus.PROCESSING, created_at__lt=before).values_list(
                "feedback_id", flat=True
            )
        )
    )
    for hazard_id in hazard_ids:
        send_after_commit("hazards.tasks.process_hazard_photos", hazard_id=hazard_id)
    for task_id in task_ids:
        send_after_commit("hazards.tasks.process_task_photos", task_id=task_id)
    for feedback_id in feedback_ids:
        send_after_commit("hazards.tasks.process_feedback_photos", feedback_id=feedback_id)
    return {"hazards": len(hazard_ids), "tasks": len(task_ids), "answers": len(feedback_ids)}


ORPHAN_BATCH = 500  # names checked per query (well under SQLite's bound-variable limit)


def _quarantine_names(storage, folder: str = ""):
    """Every file name in the quarantine storage, depth first (storage API: works on buckets too)."""
    dirs, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for name in dirs:
        yield from _quarantine_names(storage, f"{folder}/{name}" if folder else name)


def quarantine_sweep_orphans(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """Delete quarantined uploads that no photo row references, once older than a grace period.

    Why: a request writes the upload to quarantine before its transaction commits the row that
    names it; PhotoWriter deletes the file when the transaction fails, but a process killed in
    between (SIGKILL, OOM, power) leaves a file nothing points at, holding a resident's EXIF and
    GPS forever. A file named by any StoredPhoto row's `original` is never touched, however old
    (its processing may be owed; photos_sweep re-sends it). A file younger than `older_than`
    (PHOTO_QUARANTINE_ORPHAN_AGE, 1 h) is never touched: its request may not have committed yet.
    References are checked ORPHAN_BATCH names at a time, one query per photo model per batch.
    Returns how many files were deleted.
    """
    storage = quarantine_storage()
    if not storage.exists(""):
        return 0
    cutoff = (now or timezone.now()) - (older_than if older_than is not None else conf.quarantine_orphan_age())
    models = [m for m in apps.get_models() if issubclass(m, StoredPhoto)]

    def sweep(batch: list[str]) -> int:
        referenced: set[str] = set()
        for model in models:
            referenced.update(model.objects.filter(original__in=batch).values_list("original", flat=True))
        removed = 0
        for name in batch:
            if name in referenced:
                continue
            try:
                storage.delete(name)
            except Exception:
                logger.warning("could not delete orphaned quarantined %s", name, exc_info=True)
                continue
            logger.info("deleted orphaned quarantined upload %s (no photo row names it)", name)
            removed += 1
        return removed

    removed, batch = 0, []
    for name in _quarantine_names(storage):
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:  # processed and deleted meanwhile
            continue
        if modified >= cutoff:
            continue
        batch.append(name)
        if len(batch) >= ORPHAN_BATCH:
            removed += sweep(batch)
            batch = []
    if batch:
        removed += sweep(batch)
    if removed:
        logger.info("quarantine sweep: deleted %d orphaned upload(s) older than %s", removed, cutoff.isoformat())
    return removed
