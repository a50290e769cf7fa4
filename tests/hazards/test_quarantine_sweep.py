"""The quarantine sweep: uploads left behind by a request killed between writing the file and
committing its row are deleted once old; a file a photo row names, or a young one, never is."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.utils import timezone

from hazards.models import AssigneeKind, HazardPhoto, PhotoStatus, StoredPhoto, Task, TaskPhoto
from hazards.reports.sweeps import ORPHAN_BATCH, quarantine_sweep_orphans
from hazards.tasks import sweep_quarantine
from tests.conftest import quarantined

pytestmark = pytest.mark.django_db

HOUR = 3600


def put(root, name: str, *, age_s: float = 0) -> str:
    """A file in the quarantine, last modified `age_s` seconds ago; returns its storage name."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff uploaded bytes")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return name


def pending(hazard, name: str, position: int = 0) -> HazardPhoto:
    return HazardPhoto.objects.create(
        hazard=hazard, status=PhotoStatus.PROCESSING, original=name, original_format="JPEG", position=position
    )


def test_an_old_orphan_goes_a_young_one_stays(quarantine_root, caplog):
    old = put(quarantine_root, "hazards/2025/01/old.jpg", age_s=2 * HOUR)
    young = put(quarantine_root, "hazards/2025/01/young.jpg", age_s=10 * 60)
    with caplog.at_level(logging.INFO, logger="hazards.reports.sweeps"):
        assert quarantine_sweep_orphans() == 1  # the default grace: an hour
    assert quarantined(quarantine_root) == [str(quarantine_root / young)]
    assert old in caplog.text
    assert quarantine_sweep_orphans() == 0  # nothing more to do


def test_files_named_by_a_row_stay_however_old(make_hazard, boss, quarantine_root):
    hazard = make_hazard()
    task = Task.objects.create(
        hazard=hazard,
        assignee=boss,
        assignee_kind=AssigneeKind.GRID_WORKER,
        accept_deadline=timezone.now() + timedelta(hours=1),
        due_at=timezone.now() + timedelta(days=1),
    )
    kept_hazard = pending(hazard, put(quarantine_root, "hazards/2024/01/a.jpg", age_s=30 * 24 * HOUR), position=5)
    kept_task = TaskPhoto.objects.create(
        task=task,
        status=PhotoStatus.PROCESSING,
        original=put(quarantine_root, "tasks/2024/01/b.jpg", age_s=30 * 24 * HOUR),
        original_format="JPEG",
    )
    orphan = put(quarantine_root, "tasks/2024/01/c.jpg", age_s=30 * 24 * HOUR)
    assert quarantine_sweep_orphans() == 1
    assert quarantined(quarantine_root) == sorted(
        str(quarantine_root / name) for name in (kept_hazard.original, kept_task.original)
    )
    assert not (quarantine_root / orphan).exists()


def test_the_grace_and_the_clock_are_parameters(quarantine_root):
    put(quarantine_root, "hazards/x.jpg", age_s=10 * 60)
    assert quarantine_sweep_orphans(older_than=timedelta(minutes=15)) == 0
    assert quarantine_sweep_orphans(older_than=timedelta(minutes=15), now=timezone.now() + timedelta(minutes=10)) == 1


def test_the_setting_is_the_default_grace(settings, quarantine_root):
    assert timedelta(hours=1) == django_settings.PHOTO_QUARANTINE_ORPHAN_AGE
    put(quarantine_root, "hazards/x.jpg", age_s=10 * 60)
    settings.PHOTO_QUARANTINE_ORPHAN_AGE = timedelta(minutes=5)
    assert quarantine_sweep_orphans() == 1


def test_an_empty_or_missing_quarantine_is_fine(quarantine_root):
    assert not quarantine_root.exists()
    assert quarantine_sweep_orphans() == 0


def test_references_are_checked_in_batches(make_hazard, quarantine_root, django_assert_max_num_queries):
    """Constant queries per batch of names, not one per file: here 2 batches × each photo model."""
    hazard = make_hazard()
    count = ORPHAN_BATCH + 100
    names = [put(quarantine_root, f"hazards/2024/02/{i:04d}.jpg", age_s=2 * HOUR) for i in range(count)]
    kept = names[::7]
    for position, name in enumerate(kept, start=10):
        pending(hazard, name, position)
    photo_models = [m for m in apps.get_models() if issubclass(m, StoredPhoto)]
    assert len(photo_models) >= 3  # report, after-photo and the answer's photo at least
    with django_assert_max_num_queries(2 * len(photo_models)):
        assert quarantine_sweep_orphans() == count - len(kept)
    assert quarantined(quarantine_root) == sorted(str(quarantine_root / name) for name in kept)


def test_the_beat_job_runs_the_sweep_hourly(quarantine_root):
    put(quarantine_root, "hazards/old.jpg", age_s=2 * HOUR)
    assert sweep_quarantine.delay().get() == 1
    entry = django_settings.CELERY_BEAT_SCHEDULE["hazards-sweep-quarantine"]
    assert entry == {"task": "hazards.tasks.sweep_quarantine", "schedule": timedelta(hours=1)}
