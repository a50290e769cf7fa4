"""Celery tasks of the volunteers app: a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="volunteers.tasks.expire_silent_duty", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True
)
def expire_silent_duty() -> int:
    """Beat job: volunteers whose phone went silent go off duty (see conf.duty_silence_timeout)."""
    from volunteers.duty import volunteers_duty_expire_silent

    return volunteers_duty_expire_silent()
