"""Photos are processed after the report commits: the request runs the fast checks and keeps the
upload in a private quarantine; a Celery task (eager in embedded mode) re-encodes it.

`deferred` turns eager Celery off for one test, so that the task is only enqueued (on commit,
which never comes inside a test's transaction) and the test runs it itself — the state a
reporter sees between the 201 and the worker, and what the worker then does.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, user_topic
from govern.media import writer
from govern.models import LiveEvent
from hazards.models import HazardPhoto, PhotoStatus, TaskPhoto, TriageSuggestion
from hazards.reports.services import hazard_report
from hazards.reports.sweeps import photos_sweep
from hazards.tasks import PhotosUnreadable, process_hazard_photos, process_task_photos
from tests.conftest import client_for, quarantined
from tests.hazards.conftest import INSIDE, Heard, report_form, stored_files
from tests.hazards.images import encode, jpeg_bytes, scene, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def deferred():
    from govern.celery import app

    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


def broken_png() -> bytes:
    """Header and chunk framing intact (passes the fast checks), compressed pixels scrambled (the
    full decode refuses it): the one kind of damage only a decode can find."""
    data = bytearray(encode(scene((64, 48)), "PNG"))
    start = data.index(b"IDAT")
    length = int.from_bytes(data[start - 4 : start], "big")
    for k in range(start + 6, start + 4 + length):
        data[k] = (data[k] * 7 + 13) % 256
    return bytes(data)


def report(resident, photos):
    return hazard_report(
        reporter=resident,
        category_slug="electrical-wiring",
        description="楼道里私拉电线",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        photos=photos,
    ).hazard


def test_the_request_quarantines_the_upload_and_the_task_renders_it(
    deferred, categories, grid, resident, media_root, quarantine_root, client
):
    sent = jpeg_bytes(size=(640, 480), orientation=6, gps=True)
    response = client_for(resident).post(
        "/api/v1/hazards/", report_form(photos=[upload("a.jpg", sent)]), format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    [photo] = body["photos"]
    assert photo["status"] == "processing" and photo["thumb"] is None and photo["image"] is None
    assert (photo["width"], photo["height"]) == (480, 640)  # upright, from the header's EXIF orientation
    row = HazardPhoto.objects.get()
    assert row.status == PhotoStatus.PROCESSING and row.original
    # The upload waits in the private quarantine, byte for byte; nothing is under MEDIA_ROOT yet.
    [path] = quarantined(quarantine_root)
    assert Path(path).read_bytes() == sent and stored_files(media_root) == []
    assert not os.path.realpath(path).startswith(os.path.realpath(media_root))
    created = LiveEvent.objects.get(type="hazard.created")
    assert created.data["thumb"] is None and created.data["photos_pending"] == 1
    # Pages show a placeholder, never a broken image.
    page = client.get(f"/track/{body['tracking_code']}/").content.decode()
    assert "hz-photo-pending" in page and "/media/" not in page and 'src=""' not in page
    detail = client_for(resident).get(f"/api/v1/hazards/{body['id']}/").json()
    assert detail["photos"][0]["status"] == "processing" and detail["photos"][0]["medium"] is None
    client.force_login(resident)
    assert "hz-photo-pending" in client.get("/my/reports/").content.decode()

    assert process_hazard_photos.apply(kwargs={"hazard_id": body["id"]}).get() == {
        "ready": 1,
        "failed": 0,
        "unreadable": 0,
    }

    row.refresh_from_db()
    assert row.status == PhotoStatus.READY and row.original == "" and row.failure == ""
    assert (row.width, row.height) == (480, 640)
    assert row.upload_sha256 == hashlib.sha256(sent).hexdigest() and len(row.phash) == 16
    assert quarantined(quarantine_root) == []  # the upload is gone once processed
    assert len(stored_files(media_root)) == 3
    ready = LiveEvent.objects.get(type="hazard.photos_ready")
    assert set(ready.topics) == {
        DISPATCH_TOPIC,
        grid_topic(grid.pk),
        user_topic(resident.pk),
        hazard_topic(body["tracking_code"]),
    }
    assert ready.data["photo_count"] == 1 and ready.data["photos_pending"] == 0
    assert ready.data["photos"][0]["status"] == "ready" and ready.data["thumb"].endswith("-t.jpg")
    page = client.get(f"/track/{body['tracking_code']}/?fragment=photos").content.decode()
    assert row.medium.url in page and "hz-photo-pending" not in page


def test_an_upload_spooled_to_a_temporary_file_is_moved_into_quarantine_not_written_again(
    deferred, categories, grid, resident, quarantine_root, settings, tmp_path, monkeypatch
):
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE reach the view as temporary files: the report
    moves that file into the quarantine (a rename), with the quarantine's private mode."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    sent = jpeg_bytes(size=(640, 480))
    assert len(sent) > 1024
    rewritten = []
    real = writer._in_one_write
    monkeypatch.setattr(writer, "_in_one_write", lambda data: rewritten.append(len(data)) or real(data))
    response = client_for(resident).post(
        "/api/v1/hazards/", report_form(photos=[upload("a.jpg", sent)]), format="multipart"
    )
    assert response.status_code == 201, response.content
    [path] = quarantined(quarantine_root)
    assert Path(path).read_bytes() == sent
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert rewritten == []  # moved, not written again
    assert os.listdir(spool) == []  # and Django's clean-up did not trip over the moved file
    monkeypatch.setattr(writer, "_in_one_write", real)
    assert process_hazard_photos.apply(kwargs={"hazard_id": response.json()["id"]}).get() == {
        "ready": 1,
        "failed": 0,
        "unreadable": 0,
    }
    assert quarantined(quarantine_root) == []


def test_rerunning_the_task_changes_nothing(deferred, categories, grid, resident, media_root, quarantine_root):
    hazard = report(resident, [upload("a.jpg", jpeg_bytes(seed=3))])
    assert process_hazard_photos.apply(kwargs={"hazard_id": hazard.pk}).get() == {
        "ready": 1,
        "failed": 0,
        "unreadable": 0,
    }
    files = stored_files(media_root)
    row = HazardPhoto.objects.get()
    assert process_hazard_photos.apply(kwargs={"hazard_id": hazard.pk}).get() == {
        "ready": 0,
        "failed": 0,
        "unreadable": 0,
    }
    assert stored_files(media_root) == files and LiveEvent.objects.filter(type="hazard.photos_ready").count() == 1
    again = HazardPhoto.objects.get()
    assert (again.image.name, again.sha256, again.status) == (row.image.name, row.sha256, PhotoStatus.READY)


def test_a_photo_only_the_full_decode_refuses_ends_failed_and_says_why(
    deferred, categories, grid, resident, media_root, quarantine_root, client
):
    hazard = report(resident, [upload("good.jpg", jpeg_bytes(seed=4)), upload("broken.png", broken_png(), "image/png")])
    assert len(quarantined(quarantine_root)) == 2
    assert process_hazard_photos.apply(kwargs={"hazard_id": hazard.pk}).get() == {
        "ready": 1,
        "failed": 1,
        "unreadable": 0,
    }
    good, bad = HazardPhoto.objects.order_by("position")
    assert good.status == PhotoStatus.READY
    assert bad.status == PhotoStatus.FAILED and bad.failure == "corrupt" and not bad.image and bad.original == ""
    assert quarantined(quarantine_root) == [] and len(stored_files(media_root)) == 3  # only the good one's renditions
    event = LiveEvent.objects.get(type="hazard.photos_ready")
    assert [p["status"] for p in event.data["photos"]] == ["ready", "failed"] and event.data["photos"][1][
        "image"
    ] is None
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/track/{hazard.tracking_code}/").content.decode()
    assert "Photo 2 could not be used (truncated or corrupt image)" in page
    assert page.count(good.medium.url) == 1 and "/media/" not in page.replace(good.medium.url, "").replace(
        good.image.url, ""
    )
    detail = client_for(resident).get(f"/api/v1/hazards/{hazard.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert detail["photos"][1]["status"] == "failed" and detail["photos"][1]["failure"] == "truncated or corrupt image"
    assert detail["photos"][1]["thumb"] is None


def test_an_unreadable_upload_fails_the_task_loudly_and_stays_owed_for_the_sweep(
    deferred, categories, grid, resident, quarantine_root
):
    """A worker that cannot read the quarantine (another machine, local disk) used to mark the
    photo failed and log "succeeded" at INFO: now a WARNING names the photo and the reason, the
    task ends FAILED, and the photo stays `processing` for the sweep to send again."""
    hazard = report(resident, [upload("a.jpg", jpeg_bytes(seed=5))])
    [path] = quarantined(quarantine_root)
    moved = path + ".elsewhere"
    os.rename(path, moved)
    heard = Heard()
    logging.getLogger("govern.media.pending").addHandler(heard)
    try:
        with pytest.raises(PhotosUnreadable, match="1 photo\\(s\\) of hazard"):
            process_hazard_photos.apply(kwargs={"hazard_id": hazard.pk}, throw=True)
    finally:
        logging.getLogger("govern.media.pending").removeHandler(heard)
    [warning] = [r for r in heard.records if r.levelno == logging.WARNING]
    assert "cannot be read" in warning.getMessage() and "is not in the quarantine storage" in warning.getMessage()
    photo = HazardPhoto.objects.get()
    assert photo.status == PhotoStatus.PROCESSING and photo.original and photo.failure == ""

    # The sweep sends it again; once the storage is fixed, that run processes it.
    HazardPhoto.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    os.rename(moved, path)
    assert photos_sweep() == {"hazards": 1, "tasks": 0, "answers": 0}
    assert process_hazard_photos.apply(kwargs={"hazard_id": hazard.pk}).get() == {
        "ready": 1,
        "failed": 0,
        "unreadable": 0,
    }


def test_an_upload_unreadable_for_a_day_ends_failed(deferred, categories, grid, resident, quarantine_root, settings):
    hazard = report(resident, [upload("a.jpg", jpeg_bytes(seed=5))])
    for path in quarantined(quarantine_root):
        os.remove(path)
    HazardPhoto.objects.update(created_at=timezone.now() - settings.PHOTO_UNREADABLE_GIVE_UP - timedelta(seconds=1))
    assert process_hazard_photos.apply(kwargs={"hazard_id": hazard.pk}).get() == {
        "ready": 0,
        "failed": 1,
        "unreadable": 0,
    }
    assert HazardPhoto.objects.get().failure == "missing"


def test_embedded_mode_processes_before_the_service_returns(categories, grid, resident, media_root, quarantine_root):
    hazard = report(resident, [upload("a.jpg", jpeg_bytes(seed=6)), upload("broken.png", broken_png(), "image/png")])
    assert [p.status for p in hazard.photos.order_by("position")] == [PhotoStatus.READY, PhotoStatus.FAILED]
    assert quarantined(quarantine_root) == []


def test_near_identical_photos_are_found_when_processed(deferred, categories, grid, resident):
    first = report(resident, [upload("a.jpg", jpeg_bytes(size=(640, 480), seed=7))])
    process_hazard_photos.apply(kwargs={"hazard_id": first.pk})
    second = report(resident, [upload("b.jpg", jpeg_bytes(size=(640, 480), seed=7, quality=70))])
    assert not TriageSuggestion.objects.filter(hazard=second, kind="similar_photo").exists()  # not processed yet
    process_hazard_photos.apply(kwargs={"hazard_id": second.pk})
    assert TriageSuggestion.objects.get(hazard=second, kind="similar_photo").similar_hazard_id == first.pk


def test_the_sweep_processes_photos_whose_task_got_lost(deferred, categories, grid, resident, quarantine_root):
    hazard = report(resident, [upload("a.jpg", jpeg_bytes(seed=8))])
    assert photos_sweep() == {"hazards": 0, "tasks": 0, "answers": 0}  # too recent: its own task may still come
    HazardPhoto.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    deferred.conf.task_always_eager = True  # the sweep's tasks run here
    assert photos_sweep() == {"hazards": 1, "tasks": 0, "answers": 0}
    assert hazard.photos.get().status == PhotoStatus.READY and quarantined(quarantine_root) == []


def test_a_failed_report_leaves_nothing_in_the_quarantine(
    deferred, categories, grid, resident, media_root, quarantine_root, monkeypatch
):
    import hazards.reports.services

    def broken_publish(*args, **kwargs):
        raise RuntimeError("broker exploded")

    monkeypatch.setattr(hazards.reports.services, "publish", broken_publish)
    with pytest.raises(RuntimeError):
        report(resident, [upload("a.jpg", jpeg_bytes(seed=9))])
    assert quarantined(quarantine_root) == [] and HazardPhoto.objects.count() == 0


def test_task_after_photos_take_the_same_road(deferred, triaged, on_duty, boss, quarantine_root, media_root):
    from hazards.dispatch import services

    volunteer = on_duty((INSIDE[0] + 0.0005, INSIDE[1] + 0.0005))
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    services.task_accept(task_id=task.pk, actor=volunteer.user)
    services.task_start(task_id=task.pk, actor=volunteer.user)
    before = stored_files(media_root)
    services.task_complete(
        task_id=task.pk, actor=volunteer.user, note="修好了", photos=[upload("fix.jpg", jpeg_bytes(seed=10))]
    )
    row = TaskPhoto.objects.get(task=task)
    assert row.status == PhotoStatus.PROCESSING and len(quarantined(quarantine_root / "tasks")) == 1
    done = LiveEvent.objects.filter(type="task.updated").order_by("id").last()
    assert done.data["status"] == "done" and done.data["photos"] == [] and done.data["photos_pending"] == 1
    assert process_task_photos.apply(kwargs={"task_id": task.pk}).get() == {"ready": 1, "failed": 0, "unreadable": 0}
    assert process_task_photos.apply(kwargs={"task_id": task.pk}).get() == {"ready": 0, "failed": 0, "unreadable": 0}
    row.refresh_from_db()
    assert row.status == PhotoStatus.READY and quarantined(quarantine_root / "tasks") == []
    assert len(stored_files(media_root)) == len(before) + 3
    ready = LiveEvent.objects.filter(type="task.updated").order_by("id").last()
    assert ready.pk != done.pk and ready.data["photos"] == [row.thumb.url] and ready.data["photos_pending"] == 0


def test_the_quarantine_may_not_lie_under_media_root(settings, tmp_path):
    from govern.media.quarantine import quarantine_storage

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PHOTO_QUARANTINE_ROOT = str(tmp_path / "media" / "quarantine")
    assert [e.id for e in run_checks() if e.id == "hazards.E001"] == ["hazards.E001"]
    settings.PHOTO_QUARANTINE_ROOT = str(tmp_path / "quarantine")
    assert not [e for e in run_checks() if e.id == "hazards.E001"]
    with pytest.raises(ValueError):
        quarantine_storage().url("hazards/x.jpg")


def test_a_tracking_code_collision_retries_the_whole_report(categories, grid, resident, quarantine_root):
    class Codes:
        """An rng whose choices spell the given codes, one after the other."""

        def __init__(self, *codes):
            self.chars = iter("".join(codes))

        def choice(self, _alphabet):
            return next(self.chars)

    def file(rng):
        return hazard_report(
            reporter=resident,
            category_slug="electrical-wiring",
            description="楼道里私拉电线",
            latitude=INSIDE[0],
            longitude=INSIDE[1],
            photos=[upload("a.jpg", jpeg_bytes(seed=11))],
            code_rng=rng,
        ).hazard

    first = file(Codes("AAAAAAAAAA"))
    second = file(Codes("AAAAAAAAAA", "BBBBBBBBBB"))
    assert (first.tracking_code, second.tracking_code) == ("AAAAAAAAAA", "BBBBBBBBBB")
    assert HazardPhoto.objects.filter(hazard=second).count() == 1 and second.events.count() == 1
    assert LiveEvent.objects.filter(type="hazard.created").count() == 2 and quarantined(quarantine_root) == []
