"""Services mode: a report's photo is re-encoded by a real Celery worker process (PostgreSQL,
Redis broker), not in the request. The test process files the report with Celery not eager, so
the task is sent on commit; a `celery worker` on the same database and storages picks it up."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from govern.models import LiveEvent
from hazards.models import HazardPhoto, PhotoStatus
from hazards.reports.services import hazard_report
from tests.conftest import quarantined
from tests.govern.test_live_services import Proc, _test_database_url
from tests.hazards.conftest import INSIDE, stored_files
from tests.hazards.images import jpeg_bytes, upload

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(media_root, quarantine_root):
    from govern.celery import app

    app.control.purge()  # this test's Redis database: nothing stale may be picked up
    name = f"photos-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "GOVERN_TEST_MEDIA_ROOT": str(media_root),
        "GOVERN_TEST_QUARANTINE_ROOT": str(quarantine_root),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    proc = Proc(
        "celery worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "govern",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}@%h",
        ],
        env,
    )
    app.conf.task_always_eager = False
    try:
        proc.wait_for_line("ready.", timeout=60)
        yield proc
    finally:
        app.conf.task_always_eager = True
        proc.stop()


def test_a_real_worker_processes_the_photo_after_the_commit(
    worker, categories, grid, resident, media_root, quarantine_root
):
    hazard = hazard_report(
        reporter=resident,
        category_slug="electrical-wiring",
        description="楼道里私拉电线",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        photos=[upload("a.jpg", jpeg_bytes(size=(1600, 1200), gps=True))],
    ).hazard
    deadline = time.monotonic() + 60
    while HazardPhoto.objects.filter(hazard=hazard, status=PhotoStatus.PROCESSING).exists():
        assert time.monotonic() < deadline, "the worker never processed the photo:\n" + "\n".join(worker.lines[-30:])
        time.sleep(0.2)
    photo = HazardPhoto.objects.get(hazard=hazard)
    assert photo.status == PhotoStatus.READY and (photo.width, photo.height) == (1600, 1200)
    # The worker deletes the original just after its commit: give it that moment.
    while quarantined(quarantine_root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert quarantined(quarantine_root) == [] and len(stored_files(media_root)) == 3
    assert LiveEvent.objects.filter(type="hazard.photos_ready", data__id=hazard.pk).exists()
