"""Proof-of-fix checks: does an after-photo show this fix, here, now?

Points are money, so a fix's proof must be hard to fake. When a task's after-photos are processed
(hazards.dispatch.photos, inside its transaction, under the task's lock) each ready photo is
checked, and what it fails is stored on the photo (TaskPhoto's flags) and on the task
(`proof_flagged`): a flagged fix is verified by a dispatcher only (hazards.core.policy).

- same as the report: within the perceptual-hash threshold of one of the hazard's own photos
  (the reporter's picture sent back as the "after").
- reused: within the threshold of another task's after-photo of the last
  HAZARD_PROOF_REUSE_WINDOW_DAYS, looked up by indexed hash band as reports are
  (hazards.reports.suggestions): one query however many photos there are.
- taken outside accept → done: the EXIF capture time, with HAZARD_PROOF_CLOCK_TOLERANCE_MINUTES.
- far from the hazard: the EXIF position farther than HAZARD_PROOF_MAX_DISTANCE_M; the distance is
  computed here from the in-memory metadata (govern.media.exif) and only it is stored.
- no camera information at all: no make, model, capture time or position.

A photo whose EXIF has no time or no position is not flagged for it (many phones drop the
position for privacy); one with none of it is, by the last check.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from django.db.models import Q

from govern.geo import haversine_m
from govern.media.hashing import phash_bands, phash_distance
from govern.media.renditions import ProcessedPhoto
from hazards import conf
from hazards.models import Hazard, HazardPhoto, PhotoStatus, Task, TaskPhoto

logger = logging.getLogger(__name__)

CHECK_FIELDS = [
    "report_phash_distance",
    "same_as_report",
    "reused",
    "reused_from_task",
    "taken_at",
    "taken_outside_window",
    "gps_distance_m",
    "far_from_hazard",
    "no_camera_metadata",
]

# How many band matches the reused-picture lookup weighs (the newest first).
REUSE_CANDIDATES = 200


def _closest(phash: str, others: Sequence[tuple[int, str]]) -> tuple[int | None, int | None]:
    """(distance, owner id) of the closest hash among (owner id, hash) pairs; (None, None) if none."""
    best: tuple[int | None, int | None] = (None, None)
    for owner_id, other in others:
        distance = phash_distance(phash, other)
        if best[0] is None or distance < best[0]:
            best = (distance, owner_id)
    return best


def _reuse_candidates(task: Task, photos: Sequence[TaskPhoto], now: dt.datetime) -> list[tuple[int, str]]:
    band_filter = Q()
    for photo in photos:
        b0, b1, b2, b3 = phash_bands(photo.phash)
        band_filter |= Q(phash_b0=b0) | Q(phash_b1=b1) | Q(phash_b2=b2) | Q(phash_b3=b3)
    since = now - timedelta(days=conf.proof_reuse_window_days())
    return list(
        TaskPhoto.objects.filter(band_filter, status=PhotoStatus.READY, created_at__gte=since)
        .exclude(task_id=task.pk)
        .values_list("task_id", "phash")
        .order_by("-id")[:REUSE_CANDIDATES]
    )


def _window(task: Task, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    tolerance = conf.proof_clock_tolerance()
    start = task.accepted_at or task.offered_at
    end = task.completed_at or now
    return start - tolerance, end + tolerance


def check_after_photos(
    *, hazard: Hazard, task: Task, photos: Sequence[TaskPhoto], processed: Mapping[int, ProcessedPhoto], now
) -> list[TaskPhoto]:
    """Fill the checks of these just-processed, ready after-photos (`processed`: their renditions
    by photo id, with the in-memory EXIF) and mark the task when one fails. Inside the caller's
    transaction, with the task locked. Returns the photos flagged."""
    photos = [photo for photo in photos if photo.status == PhotoStatus.READY and photo.pk in processed]
    if not photos:
        return []
    threshold = conf.phash_max_distance()
    report = list(
        HazardPhoto.objects.filter(hazard_id=hazard.pk, status=PhotoStatus.READY).values_list("hazard_id", "phash")
    )
    reuse = _reuse_candidates(task, photos, now)
    start, end = _window(task, now)
    max_distance = conf.proof_max_distance_m()
    flagged = []
    for photo in photos:
        capture = processed[photo.pk].capture
        photo.report_phash_distance, _hazard = _closest(photo.phash, report)
        photo.same_as_report = photo.report_phash_distance is not None and photo.report_phash_distance <= threshold
        distance, other_task = _closest(photo.phash, reuse)
        photo.reused = distance is not None and distance <= threshold
        photo.reused_from_task_id = other_task if photo.reused else None
        photo.taken_at = capture.taken_at
        photo.taken_outside_window = capture.taken_at is not None and not start <= capture.taken_at <= end
        photo.gps_distance_m = (
            round(haversine_m(capture.latitude, capture.longitude, hazard.latitude, hazard.longitude), 1)
            if capture.has_position
            else None
        )
        photo.far_from_hazard = photo.gps_distance_m is not None and photo.gps_distance_m > max_distance
        photo.no_camera_metadata = not capture.has_camera
        if photo.proof_flags:
            flagged.append(photo)
            logger.info("%s: proof of the fix flagged: %s", photo, ", ".join(photo.proof_flags))
    TaskPhoto.objects.bulk_update(photos, CHECK_FIELDS)
    if flagged and not task.proof_flagged:
        task.proof_flagged = True
        task.save(update_fields=["proof_flagged", "updated_at"])
    return flagged
