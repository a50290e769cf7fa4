"""The photo pipeline alone, on one core: govern's validate + re-encode against bare Pillow doing
the same decode (with draft), resize to the same three sizes and JPEG encode."""

from __future__ import annotations

import io
import time

from PIL import Image

from bench.report import Report, Row


def _bare_pillow(data: bytes, sizes: dict[str, int]) -> None:
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    scale = sizes["large"] / max(width, height)
    image.draft("RGB", (int(width * scale), int(height * scale)))
    image = image.convert("RGB")
    for edge in sizes.values():
        copy = image.copy()
        copy.thumbnail((edge, edge))
        copy.save(io.BytesIO(), "JPEG", quality=82)


def _rate(fn, seconds: float) -> float:
    fn()  # warm
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or done < 3:
        fn()
        done += 1
    return done / (time.perf_counter() - start)


def run(report: Report, *, photo: bytes, seconds: float) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from govern.media.renditions import process_upload
    from hazards import conf

    limits = conf.photo_limits()
    sizes = limits.sizes
    floor = _rate(lambda: _bare_pillow(photo, sizes), seconds)
    ours = _rate(lambda: process_upload(SimpleUploadedFile("phone.jpg", photo, "image/jpeg"), limits=limits), seconds)
    report.add(
        Row(
            name="photo pipeline: photos/s per core (4000×3000 JPEG)",
            value=ours,
            unit="/s",
            floor=floor,
            floor_name="bare Pillow /s",
            ratio=ours / floor,
            target="≥ 0.8× floor",
            ok=ours >= 0.8 * floor,
            note="ours also validates type and size, applies EXIF orientation and colour profile, strips metadata and computes a SHA-256 and a perceptual hash",
        )
    )
