"""Proof-of-fix checks (hazards.dispatch.proof): when a task's after-photos are processed, each is
checked against the report's photos, other tasks' after-photos, the EXIF capture time and place,
and whether it carries camera information at all. What it fails is stored on the photo and the
task, shown in words to staff, and makes the fix a dispatcher's to verify.

Photos are made with Pillow, with EXIF (tests/hazards/images.py); processing runs eagerly, as in
embedded mode, through the real pipeline.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from govern.media.exif import capture_metadata
from hazards.dispatch import services as dispatch
from hazards.models import PhotoStatus, Status, Task, TaskPhoto
from tests.conftest import client_for
from tests.hazards.conftest import INSIDE, english
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)
# 0.018° of latitude ≈ 2,001 m due north of the hazard.
TWO_KM_NORTH = (INSIDE[0] + 0.018, INSIDE[1])


def exif_time(moment) -> str:
    """A moment as a camera writes it: local wall-clock time, no zone."""
    return timezone.localtime(moment).strftime("%Y:%m:%d %H:%M:%S")


@pytest.fixture
def fix(triaged, on_duty, boss):
    """fix(after_bytes, report_bytes=None, severity="low") → the done task (its after-photo processed)."""

    def make(after: bytes, *, report: bytes | None = None, severity: str = "low", latitude=INSIDE[0]):
        photos = [upload("report.jpg", report)] if report is not None else None
        hazard = triaged(severity=severity, photos=photos, latitude=latitude)
        volunteer = on_duty(NEAR)
        task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
        dispatch.task_accept(task_id=task.pk, actor=volunteer.user)
        dispatch.task_start(task_id=task.pk, actor=volunteer.user)
        dispatch.task_complete(
            task_id=task.pk, actor=volunteer.user, note="已修好", photos=[upload("after.jpg", after)]
        )
        return Task.objects.get(pk=task.pk)

    return make


def the_photo(task) -> TaskPhoto:
    [photo] = TaskPhoto.objects.filter(task=task)
    assert photo.status == PhotoStatus.READY, photo.failure
    return photo


def test_a_clean_after_photo_raises_nothing(fix):
    task = fix(jpeg_bytes(size=(320, 240), seed=501, position=NEAR, taken_at=exif_time(timezone.now())))
    photo = the_photo(task)
    assert photo.proof_flags == [] and not task.proof_flagged
    # What was measured is kept even when it passes: a distance (never the position) and the time.
    assert photo.gps_distance_m is not None and photo.gps_distance_m < 30
    assert photo.taken_at is not None and photo.report_phash_distance is not None


def test_the_reports_own_photo_sent_back_as_the_after_photo_is_flagged(fix):
    picture = jpeg_bytes(size=(320, 240), seed=502)
    task = fix(picture, report=picture)
    photo = the_photo(task)
    assert photo.same_as_report and photo.report_phash_distance <= 3
    assert photo.proof_flags == ["same_as_report"] and task.proof_flagged
    # Re-encoded smaller, it is still the same picture.
    resized = fix(jpeg_bytes(size=(640, 480), seed=503, quality=60), report=jpeg_bytes(size=(320, 240), seed=503))
    assert the_photo(resized).same_as_report


def test_the_same_image_on_two_tasks_is_flagged_on_the_second(fix):
    picture = jpeg_bytes(size=(320, 240), seed=504)
    first = fix(picture)
    second = fix(picture, latitude=INSIDE[0] + 0.0003)
    assert the_photo(first).proof_flags == [] and not first.proof_flagged
    photo = the_photo(second)
    assert photo.reused and photo.reused_from_task_id == first.pk and second.proof_flagged
    assert photo.proof_flags == ["reused"]


def test_a_picture_older_than_the_window_is_not_reuse(fix, settings):
    picture = jpeg_bytes(size=(320, 240), seed=505)
    first = fix(picture)
    TaskPhoto.objects.filter(task=first).update(created_at=timezone.now() - timedelta(days=181))
    assert not the_photo(fix(picture, latitude=INSIDE[0] + 0.0003)).reused


def test_a_photo_taken_2_km_away_is_flagged_with_the_distance_and_stored_without_gps(fix, media_root):
    sent = jpeg_bytes(size=(320, 240), seed=506, position=TWO_KM_NORTH)
    assert capture_metadata(Image.open(io.BytesIO(sent))).has_position  # the upload did carry it
    task = fix(sent)
    photo = the_photo(task)
    assert photo.far_from_hazard and task.proof_flagged
    assert 1950 < photo.gps_distance_m < 2050
    assert photo.proof_flags == ["far_from_hazard"]
    # Only the distance is kept: no coordinate column on the photo...
    values = [getattr(photo, f.attname) for f in TaskPhoto._meta.concrete_fields]
    assert not [v for v in values if isinstance(v, float) and any(abs(v - c) < 0.01 for c in TWO_KM_NORTH)]
    assert not [v for v in values if isinstance(v, str) and ("30.92" in v or "120.80" in v)]
    # ...and every stored rendition, opened from storage, has no GPS (nor any EXIF at all).
    for field in (photo.image, photo.medium, photo.thumb):
        with default_storage.open(field.name) as stored:
            image = Image.open(io.BytesIO(stored.read()))
            exif = image.getexif()
            assert not exif.get_ifd(0x8825) and len(exif) == 0, field.name
            assert not capture_metadata(image).has_position


def test_a_photo_taken_before_the_task_was_accepted_is_flagged(fix):
    yesterday = timezone.now() - timedelta(days=1)
    task = fix(jpeg_bytes(size=(320, 240), seed=507, taken_at=exif_time(yesterday)))
    photo = the_photo(task)
    assert photo.taken_outside_window and photo.proof_flags == ["taken_outside_window"]
    assert abs(photo.taken_at - yesterday) < timedelta(seconds=1)
    # A capture time with its zone is read in that zone: "now" in UTC is within the window.
    utc_now = timezone.now().astimezone(dt.UTC)
    inside = fix(
        jpeg_bytes(size=(320, 240), seed=508, taken_at=utc_now.strftime("%Y:%m:%d %H:%M:%S"), offset="+00:00"),
        latitude=INSIDE[0] + 0.0003,
    )
    assert not the_photo(inside).taken_outside_window


def test_a_photo_without_any_camera_information_is_flagged(fix):
    task = fix(jpeg_bytes(size=(320, 240), seed=509, camera=False))
    photo = the_photo(task)
    assert photo.no_camera_metadata and photo.proof_flags == ["no_camera_metadata"] and task.proof_flagged


def test_a_flagged_fix_is_a_dispatchers_to_verify(fix, grid_worker, boss):
    picture = jpeg_bytes(size=(320, 240), seed=510)
    task = fix(picture, report=picture)  # low severity: the grid's worker could verify it otherwise
    api = english(client_for(grid_worker))
    refused = api.post(f"/api/v1/tasks/{task.pk}/verify/", {"approved": True}, format="json")
    assert refused.status_code == 403, refused.content
    assert "only a dispatcher may verify it" in refused.json()["detail"]
    # The grid page shows the warning instead of the buttons; a forged POST gets the sentence.
    page = english(Client())
    page.force_login(grid_worker)
    [card] = [c for c in page.get("/grid/").context["cards"] if c.hazard.pk == task.hazard_id]
    assert not card.can_verify
    page.post(f"/grid/hazards/{task.hazard_id}/verify/", {"task": task.pk, "decision": "approve"})
    html = page.get("/grid/").content.decode()
    assert "only a dispatcher may verify it" in html and "is the same picture as a photo of the report" in html
    task.refresh_from_db()
    assert task.verified_at is None
    allowed = client_for(boss).post(f"/api/v1/tasks/{task.pk}/verify/", {"approved": True}, format="json")
    assert allowed.status_code == 200, allowed.content
    assert Task.objects.get(pk=task.pk).hazard.status == Status.VERIFIED


def test_the_warnings_show_in_chinese_on_the_verify_card_and_the_hazard_page(fix, boss):
    picture = jpeg_bytes(size=(320, 240), seed=511, position=TWO_KM_NORTH)
    first = fix(jpeg_bytes(size=(320, 240), seed=512))
    task = fix(picture, report=picture)
    reused = fix(jpeg_bytes(size=(320, 240), seed=512), latitude=INSIDE[0] + 0.0003)
    client = Client()
    client.force_login(boss)  # Chinese, the default language
    board = client.get("/office/queues/").content.decode()
    assert "整改证明存疑：须由指挥室核实。" in board
    assert "照片 1 与上报照片是同一张图。" in board
    [metres] = re.findall(r"照片 1 的拍摄地点距隐患 (\d+) 米。", board)
    assert 1950 < int(metres) < 2050
    assert f"照片 1 已作为另一处整改（{first.hazard.tracking_code}）的证明提交过。" in board
    assert board.count('class="proof-flags"') == 2  # the two flagged fixes, not the clean first one
    page = client.get(f"/office/hazards/{task.hazard_id}/").content.decode()
    assert "照片 1 与上报照片是同一张图。" in page and f"照片 1 的拍摄地点距隐患 {metres} 米。" in page
    assert reused.proof_flagged


def test_the_verify_queue_keeps_its_query_count_with_warnings(fix, boss, django_assert_max_num_queries):
    fix(jpeg_bytes(size=(160, 120), seed=520, camera=False))
    client = Client()
    client.force_login(boss)
    with django_assert_max_num_queries(60) as small:
        assert client.get("/office/queues/").status_code == 200
    for n in range(3):
        fix(jpeg_bytes(size=(160, 120), seed=521 + n, camera=False), latitude=INSIDE[0] + 0.0003 * (n + 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/office/queues/").content.decode()
    assert html.count('class="proof-flags"') == 4


def test_the_task_api_shows_the_checks_to_staff_only(fix, grid_worker, boss, resident):
    task = fix(jpeg_bytes(size=(320, 240), seed=530, position=TWO_KM_NORTH, camera=False))
    photo = the_photo(task)
    for staff in (boss, grid_worker):
        body = client_for(staff).get(f"/api/v1/tasks/{task.pk}/").json()
        assert body["proof_flagged"] is True
        [check] = body["proof_checks"]
        assert check["photo"] == photo.pk and check["flags"] == ["far_from_hazard"]
        assert 1950 < check["gps_distance_m"] < 2050 and check["reused_from_task"] is None
    # The assignee (whose proof it is) sees the task, not the checks; nor does anyone else.
    mine = client_for(task.assignee).get(f"/api/v1/tasks/{task.pk}/").json()
    assert mine["proof_flagged"] is None and mine["proof_checks"] is None
    assert client_for(resident).get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    # The public tracking page knows nothing of them.
    track = Client().get(f"/api/v1/track/{task.hazard.tracking_code}/")
    assert track.status_code == 200
    assert "proof" not in track.content.decode() and "gps_distance" not in track.content.decode()


def test_a_grid_worker_waits_for_the_checks_before_verifying(triaged, on_duty, boss, grid_worker, quarantine_root):
    """A worker process that has not yet run the checks: the grid worker's verify is 409 (the
    fix may yet turn out to be a dispatcher's); once processed, clean, it is theirs."""
    from govern.celery import app
    from hazards.tasks import process_task_photos

    hazard = triaged(severity="low")
    volunteer = on_duty(NEAR)
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=volunteer.user)
    dispatch.task_start(task_id=task.pk, actor=volunteer.user)
    app.conf.task_always_eager = False
    try:
        after = upload("after.jpg", jpeg_bytes(size=(320, 240), seed=540))
        dispatch.task_complete(task_id=task.pk, actor=volunteer.user, note="已修好", photos=[after])
    finally:
        app.conf.task_always_eager = True
    verify = f"/api/v1/tasks/{task.pk}/verify/"
    waiting = english(client_for(grid_worker)).post(verify, {"approved": True}, format="json")
    assert waiting.status_code == 409 and waiting.json()["code"] == "photos_processing", waiting.content
    process_task_photos.apply(kwargs={"task_id": task.pk}).get()
    assert not Task.objects.get(pk=task.pk).proof_flagged
    assert client_for(grid_worker).post(verify, {"approved": True}, format="json").status_code == 200
