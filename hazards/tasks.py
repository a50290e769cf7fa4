"""Celery tasks of the hazards app: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(name="hazards.tasks.escalate_tasks", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def escalate_tasks() -> dict:
    """Beat job (every minute): expire late offers and re-offer, flag past-due tasks overdue."""
    from hazards.dispatch.services import tasks_escalate

    return vars(tasks_escalate())
