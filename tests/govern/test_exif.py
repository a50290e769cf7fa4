"""govern.media.exif: what the camera said, read in memory; malformed EXIF reads as absent."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from govern.media.exif import capture_metadata
from tests.hazards.images import jpeg_bytes, scene


def read(data: bytes):
    return capture_metadata(Image.open(io.BytesIO(data)))


def with_exif(exif: Image.Exif) -> bytes:
    buffer = io.BytesIO()
    scene((64, 48)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_time_position_and_camera_are_read():
    meta = read(jpeg_bytes(size=(64, 48), position=(-33.8688, 151.2093), taken_at="2026:03:04 05:06:07"))
    assert meta.has_camera and meta.has_position
    assert abs(meta.latitude + 33.8688) < 1e-4 and abs(meta.longitude - 151.2093) < 1e-4  # south is negative
    # Without a zone, the wall-clock time is read in the site's zone (Asia/Shanghai).
    assert meta.taken_at.utcoffset() == dt.timedelta(hours=8) and meta.taken_at.hour == 5
    # The position never shows in a log line or a traceback.
    assert "33.8" not in repr(meta) and "151" not in repr(meta)


def test_an_offset_is_honoured():
    meta = read(jpeg_bytes(size=(64, 48), taken_at="2026:03:04 05:06:07", offset="-05:00"))
    assert meta.taken_at == dt.datetime(2026, 3, 4, 10, 6, 7, tzinfo=dt.UTC)


def test_no_camera_information_at_all():
    meta = read(jpeg_bytes(size=(64, 48), camera=False))
    assert not meta.has_camera and meta.taken_at is None and not meta.has_position


def test_malformed_values_read_as_absent():
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "yesterday-ish"}  # not an EXIF time
    exif[0x8825] = {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (120.0, 48.0, 18.0)}  # latitude beyond 90°
    meta = read(with_exif(exif))
    assert meta.taken_at is None and not meta.has_position and not meta.has_camera
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0,), 3: "E"}  # half a position
    assert not read(with_exif(exif)).has_position
