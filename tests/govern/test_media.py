"""The kernel's media pipeline on its own: each use brings its limits, and the checks follow them."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from PIL import Image

from govern.media.checks import PhotoRefused, check_upload, check_uploads
from govern.media.limits import MediaLimits
from govern.media.renditions import process_upload
from tests.hazards.images import heic_bytes, jpeg_bytes, upload


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the assertions read the English sentences
        yield


SMALL = MediaLimits(max_bytes=2 * 1024 * 1024, max_pixels=1_000_000, sizes={"large": 400, "thumb": 100}, max_count=2)


def test_limits_refuse_a_shape_the_pipeline_cannot_serve():
    with pytest.raises(ValueError):
        MediaLimits(max_bytes=1, max_pixels=1, sizes={"thumb": 100})
    with pytest.raises(ValueError):
        MediaLimits(max_bytes=1, max_pixels=1, sizes={"large": 100, "huge": 200})
    with pytest.raises(ValueError):
        MediaLimits(max_bytes=1, max_pixels=1, sizes={"large": 100}, formats=("GIF",))
    with pytest.raises(ValueError):
        MediaLimits(max_bytes=1, max_pixels=200_000_000, sizes={"large": 100})


def test_the_pixel_limit_and_its_sentence_follow_the_limits():
    with pytest.raises(PhotoRefused) as refused:
        check_upload(upload("wide.jpg", jpeg_bytes(size=(1200, 900))), limits=SMALL)
    assert refused.value.reason == "too_large" and str(refused.value) == "photo 1 (wide.jpg): over 1 megapixels"
    assert check_upload(upload("ok.jpg", jpeg_bytes(size=(1000, 1000))), limits=SMALL).width == 1000


def test_renditions_follow_the_sizes():
    photo = process_upload(upload("ok.jpg", jpeg_bytes(size=(1000, 500))), limits=SMALL)
    assert set(photo.renditions) == {"large", "thumb"}
    for name, size in (("large", (400, 200)), ("thumb", (100, 50))):
        with Image.open(io.BytesIO(photo.renditions[name].data)) as image:
            assert image.size == size and image.format == "JPEG"


def test_formats_left_out_are_named_with_what_is_accepted():
    limits = MediaLimits(max_bytes=SMALL.max_bytes, max_pixels=SMALL.max_pixels, sizes=SMALL.sizes, formats=("JPEG",))
    with pytest.raises(PhotoRefused) as refused:
        check_upload(upload("IMG.HEIC", heic_bytes()), limits=limits, field="image", label="the picture")
    assert refused.value.field == "image" and refused.value.reason == "unsupported"
    assert str(refused.value) == "the picture: unsupported type (HEIC); accepted: JPEG"


def test_the_count_follows_the_limits():
    files = [upload(f"p{i}.jpg", jpeg_bytes(size=(32, 32), seed=i)) for i in range(3)]
    with pytest.raises(Exception) as refused:
        check_uploads(files, limits=SMALL)
    assert str(refused.value) == "At most 2 photos; this report has 3."
    assert len(check_uploads(files[:2], limits=SMALL)) == 2
