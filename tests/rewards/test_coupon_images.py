"""Coupon images go through the kernel's media pipeline with the coupon limits: the protections of
report photos (bombs refused unopened, only JPEG/PNG/WebP/HEIC, structure checks, metadata dropped,
files gone when the write fails) for an image a merchant uploads."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from govern.errors import InvalidInput
from rewards import catalog
from rewards.models import Coupon
from tests.hazards.conftest import stored_files
from tests.hazards.images import encode, heic_bytes, jpeg_bytes, png_bomb, scene
from tests.rewards.conftest import make_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the assertions read the English sentences
        yield


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # made by the first file stored
    return tmp_path / "media"


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/png")


def _stored(coupon: Coupon) -> bytes:
    with coupon.image.open("rb") as handle:
        return handle.read()


@pytest.mark.parametrize(
    ("name", "make", "sentence"),
    [
        ("bomb.png", lambda: png_bomb(7100, 7100), "over 40 megapixels"),
        ("huge-bomb.png", lambda: png_bomb(15_000, 15_000), "over 40 megapixels"),
        ("x.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "unsupported type (SVG)"),
        ("scan.tiff", lambda: encode(scene((32, 32)), "TIFF"), "unsupported type (TIFF)"),
        ("anim.gif", lambda: encode(scene((32, 32)), "GIF"), "unsupported type (GIF)"),
        ("half.jpg", lambda: jpeg_bytes(size=(800, 600))[:9_000], "truncated or corrupt image"),
        ("notes.png", lambda: b"not an image at all " * 20, "not an image"),
        ("empty.png", lambda: b"", "the file is empty"),
    ],
)
def test_a_bad_coupon_image_is_a_400_on_image_and_nothing_is_stored(merchant, media_root, name, make, sentence):
    with pytest.raises(InvalidInput) as refused:
        make_coupon(merchant, image=_file(name, make()))
    assert refused.value.field == "image"
    assert refused.value.message.startswith(f"image ({name}): {sentence}")
    assert not Coupon.objects.exists() and stored_files(media_root) == []


def test_an_oversized_coupon_image_is_refused_before_it_is_opened(merchant, media_root, settings, monkeypatch):
    import govern.media.checks

    settings.COUPON_IMAGE_MAX_BYTES = 1024 * 1024
    opened = []
    monkeypatch.setattr(govern.media.checks.Image, "open", lambda *a, **k: opened.append(1))
    big = jpeg_bytes(seed=2) + b"\0" * (1024 * 1024)
    with pytest.raises(InvalidInput) as refused:
        make_coupon(merchant, image=_file("big.jpg", big))
    assert refused.value.message == "image (big.jpg): over 1 MB" and opened == []
    assert stored_files(media_root) == []


def test_the_stored_coupon_image_carries_no_metadata_and_stands_upright(merchant, media_root):
    original = jpeg_bytes(size=(640, 480), seed=4, orientation=6, gps=True)
    coupon = make_coupon(merchant, image=_file("shop.jpg", original))
    data = _stored(coupon)
    assert b"Exif" not in data[:4096] and b"secret comment" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG" and stored.size == (480, 640)
        assert len(stored.getexif()) == 0
        assert not set(stored.info) & {"exif", "xmp", "icc_profile", "comment", "photoshop"}
    assert stored_files(media_root) == [str(media_root / coupon.image.name)]


def test_heic_and_formats_follow_the_settings(merchant, media_root, settings):
    coupon = make_coupon(merchant, image=SimpleUploadedFile("IMG_1.HEIC", heic_bytes(), "image/heic"))
    with Image.open(io.BytesIO(_stored(coupon))) as stored:
        assert stored.format == "JPEG" and stored.mode == "RGB"
    settings.COUPON_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
    with pytest.raises(InvalidInput) as refused:
        make_coupon(merchant, image=SimpleUploadedFile("IMG_2.HEIC", heic_bytes(), "image/heic"))
    assert refused.value.message == "image (IMG_2.HEIC): unsupported type (HEIC); accepted: JPEG, PNG, WebP"


def test_the_image_files_go_when_the_write_fails(merchant, media_root, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Coupon, "save", broken_save)
    with pytest.raises(RuntimeError):
        make_coupon(merchant, image=_file("ok.png", encode(scene((300, 200)), "PNG")))
    assert stored_files(media_root) == []


def test_a_replaced_or_removed_image_is_deleted_once_committed(
    merchant, media_root, django_capture_on_commit_callbacks
):
    coupon = make_coupon(merchant, image=_file("a.png", encode(scene((300, 200), seed=1), "PNG")))
    first = str(media_root / coupon.image.name)
    with django_capture_on_commit_callbacks(execute=True):
        coupon = catalog.coupon_update(
            coupon_id=coupon.pk, image=_file("b.png", encode(scene((300, 200), seed=2), "PNG"))
        )
    second = str(media_root / coupon.image.name)
    assert first != second and stored_files(media_root) == [second]
    with django_capture_on_commit_callbacks(execute=True):
        coupon = catalog.coupon_update(coupon_id=coupon.pk, remove_image=True)
    assert not coupon.image and stored_files(media_root) == []
