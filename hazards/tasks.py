"""Celery tasks of the hazards app: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(name="hazards.tasks.escalate_tasks", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def escalate_tasks() -> dict:
    """Beat job (every minute): expire late offers and re-offer, flag past-due tasks overdue."""
    from hazards.dispatch.escalation import tasks_escalate

    return vars(tasks_escalate())


class PhotosUnreadable(Exception):
    """Some photos stay owed: the quarantine could not give their originals (each logged at
    WARNING with the reason by govern.media.pending). Declared in `throws`: the task ends FAILED
    with this one line, no traceback, instead of "succeeded"; the sweep sends it again."""


def _owed(outcome: dict, what: str) -> dict:
    if outcome.get("unreadable"):
        raise PhotosUnreadable(
            f"{outcome['unreadable']} photo(s) of {what}: the quarantined original cannot be read by this "
            "worker (see the WARNING above); left processing, the sweep retries"
        )
    return outcome


# Photo processing is idempotent (only rows still `processing` are touched, under a row lock), so a
# redelivery after a lost worker (acks late) or an overlap with the sweep is harmless.
PHOTO_TASK = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": True,
    "throws": (PhotosUnreadable,),
}


@shared_task(
    name="hazards.tasks.process_hazard_photos",
    **PHOTO_TASK,
)
def process_hazard_photos(*, hazard_id: int) -> dict:
    """After a report commits: re-encode its photos and publish `hazard.photos_ready`."""
    from hazards.reports.photos import hazard_photos_process

    return _owed(hazard_photos_process(hazard_id=hazard_id), f"hazard {hazard_id}")


@shared_task(
    name="hazards.tasks.process_task_photos",
    **PHOTO_TASK,
)
def process_task_photos(*, task_id: int) -> dict:
    """After a task completion commits: re-encode its after-photos and publish `task.updated`."""
    from hazards.dispatch.photos import task_photos_process

    return _owed(task_photos_process(task_id=task_id), f"task {task_id}")


@shared_task(
    name="hazards.tasks.process_feedback_photos",
    **PHOTO_TASK,
)
def process_feedback_photos(*, feedback_id: int) -> dict:
    """After a "not fixed" answer commits: re-encode its photo and send `hazard.feedback` again."""
    from hazards.reports.feedback_photos import feedback_photos_process

    return _owed(feedback_photos_process(feedback_id=feedback_id), f"answer {feedback_id}")


@shared_task(name="hazards.tasks.sweep_photos", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def sweep_photos() -> dict:
    """Beat job (every 5 minutes): re-enqueue photos still pending after 5 minutes."""
    from hazards.reports.sweeps import photos_sweep

    return photos_sweep()


@shared_task(
    name="hazards.tasks.sweep_quarantine", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True
)
def sweep_quarantine() -> int:
    """Beat job (hourly): delete quarantined uploads no photo row names, once older than the grace."""
    from hazards.reports.sweeps import quarantine_sweep_orphans

    return quarantine_sweep_orphans()
