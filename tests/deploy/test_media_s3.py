"""Media on S3-compatible object storage (MEDIA_S3_BUCKET, django-storages) against a real S3 server
(SeaweedFS, tests/deploy/seaweed.py): a report's photo is processed into the bucket, its URLs point
at the bucket and serve the re-encoded JPEG, and nothing lands on the local disk."""

from __future__ import annotations

import os
from urllib.request import urlopen

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from hazards.demo import seed_categories
from tests.hazards.images import jpeg_bytes, upload

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def s3_media(settings, seaweedfs, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "local-media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": seaweedfs.storage_options()},
    }
    return seaweedfs


def test_a_reports_photo_is_stored_in_the_bucket_and_served_from_it(
    s3_media, grid, django_capture_on_commit_callbacks, tmp_path
):
    seed_categories()
    original = jpeg_bytes(size=(1600, 1200), seed=5, gps=True)
    with django_capture_on_commit_callbacks(execute=True):  # eager Celery: the photo is processed on commit
        response = _report(original)
    assert response.status_code == 201, response.content
    tracking_code = response.json()["tracking_code"]
    detail = APIClient().get(f"/api/v1/track/{tracking_code}/")
    assert detail.status_code == 200, detail.content
    photos = detail.json()["photos"]
    assert photos and all(photo[key] for photo in photos for key in ("image", "medium", "thumb")), photos

    stored = {obj["Key"] for obj in s3_media.client().list_objects_v2(Bucket=s3_media.bucket).get("Contents", [])}
    assert len(stored) == 3, stored  # three renditions; the original never reaches the bucket
    for key in ("image", "medium", "thumb"):
        url = photos[0][key]
        assert url.startswith(f"{s3_media.endpoint}/{s3_media.bucket}/"), url
        with urlopen(url, timeout=10) as served:  # anonymously, as a browser would
            body = served.read()
            assert served.headers["Content-Type"] == "image/jpeg"
        name = url.removeprefix(f"{s3_media.endpoint}/{s3_media.bucket}/")
        assert name in stored
        with default_storage.open(name, "rb") as file:
            assert file.read() == body
        assert body[:2] == b"\xff\xd8" and b"TestCam" not in body and body != original
    assert not os.path.exists(tmp_path / "local-media")


@pytest.fixture
def s3_quarantine(settings, seaweedfs_server, tmp_path):
    """The quarantine in a bucket of its own (QUARANTINE_S3_BUCKET's storage), media in another."""
    from govern.media.quarantine import quarantine_storage

    media, quarantine = seaweedfs_server.bucket(), seaweedfs_server.bucket()
    settings.MEDIA_ROOT = str(tmp_path / "local-media")
    settings.PHOTO_QUARANTINE_ROOT = str(tmp_path / "local-quarantine")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": media.storage_options()},
        "quarantine": {
            "BACKEND": "govern.media.s3_quarantine.S3QuarantineStorage",
            "OPTIONS": {**quarantine.storage_options(), "querystring_auth": True},
        },
    }
    assert type(quarantine_storage()).__name__ == "S3QuarantineStorage"
    return media, quarantine


def _keys(bucket) -> set[str]:
    return {obj["Key"] for obj in bucket.client().list_objects_v2(Bucket=bucket.bucket).get("Contents", [])}


def _report(original: bytes):
    return APIClient().post(
        "/api/v1/hazards/",
        {
            "category": "electrical-wiring",
            "description": "楼道里私拉电线",
            "latitude": "30.905",
            "longitude": "120.805",
            "address": "3号楼",
            "photos": [upload("wiring.jpg", original)],
        },
        format="multipart",
    )


def test_the_quarantine_in_a_bucket_a_worker_reads_and_empties(
    s3_quarantine, grid, django_capture_on_commit_callbacks, tmp_path
):
    from govern.celery import app

    media, quarantine = s3_quarantine
    seed_categories()
    app.conf.task_always_eager = False  # the upload waits in the bucket until "the worker" runs
    try:
        response = _report(jpeg_bytes(size=(800, 600), seed=7, gps=True))
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 201, response.content
    [waiting] = _keys(quarantine)
    assert _keys(media) == set()
    from hazards.tasks import process_hazard_photos

    assert process_hazard_photos.apply(kwargs={"hazard_id": response.json()["id"]}).get() == {
        "ready": 1,
        "failed": 0,
        "unreadable": 0,
    }
    assert _keys(quarantine) == set() and len(_keys(media)) == 3
    assert not os.path.exists(tmp_path / "local-quarantine") and not os.path.exists(tmp_path / "local-media")


def test_a_quarantine_bucket_that_cannot_be_read_leaves_the_photo_owed(s3_quarantine, grid, settings):
    """A worker looking in the wrong place (another prefix of the bucket): the photo is not failed,
    the task fails loudly, the sweep would send it again; set right, the same photo is processed."""
    from govern.celery import app
    from hazards.models import HazardPhoto, PhotoStatus
    from hazards.tasks import PhotosUnreadable, process_hazard_photos

    media, quarantine = s3_quarantine
    seed_categories()
    app.conf.task_always_eager = False
    try:
        response = _report(jpeg_bytes(size=(800, 600), seed=8))
    finally:
        app.conf.task_always_eager = True
    hazard_id = response.json()["id"]
    good = settings.STORAGES
    settings.STORAGES = {
        **good,
        "quarantine": {**good["quarantine"], "OPTIONS": {**good["quarantine"]["OPTIONS"], "location": "elsewhere"}},
    }
    with pytest.raises(PhotosUnreadable, match="1 photo"):
        process_hazard_photos.apply(kwargs={"hazard_id": hazard_id}, throw=True)
    assert HazardPhoto.objects.get().status == PhotoStatus.PROCESSING and len(_keys(quarantine)) == 1
    settings.STORAGES = good
    assert process_hazard_photos.apply(kwargs={"hazard_id": hazard_id}).get()["ready"] == 1
    assert _keys(quarantine) == set()
