"""Retention beat jobs of the kernel: expired sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from govern.tasks import clear_sessions

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_deleted_and_live_ones_kept():
    live, expired = SessionStore(), SessionStore()
    for store in (live, expired):
        store["x"] = 1
        store.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    clear_sessions.apply().get()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_every_retention_job_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "govern.tasks.prune_live_events",
        "govern.tasks.clear_sessions",
        "hazards.premises.tasks.prune_alert_history",
    } <= tasks
