"""Test images made on the spot with Pillow (and pillow-heif): nothing binary is checked in."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


def scene(size=(640, 480), seed: int = 1) -> Image.Image:
    """A picture with structure (so perceptual hashes differ between seeds)."""
    import random

    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        w, h = rng.randint(4, max(5, size[0] // 2)), rng.randint(4, max(5, size[1] // 2))
        draw.rectangle([x, y, x + w, y + h], fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    return image


def _dms(value: float) -> tuple[float, float, float]:
    """Decimal degrees as EXIF's degrees, minutes, seconds (of the absolute value)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4))


def jpeg_bytes(
    size=(640, 480),
    seed: int = 1,
    *,
    orientation: int | None = None,
    gps: bool = False,
    quality: int = 85,
    position: tuple[float, float] | None = None,
    taken_at: str | None = None,
    offset: str | None = None,
    camera: bool = True,
) -> bytes:
    """A JPEG of `scene(size, seed)` with EXIF: make and model (unless `camera=False`), an
    orientation, a GPS position (`gps`: a fixed one; `position`: (lat, lng) in degrees), a capture
    time (`taken_at` as EXIF writes it, "YYYY:MM:DD HH:MM:SS", and its `offset` like "+08:00")."""
    image = scene(size, seed)
    exif = Image.Exif()
    if camera:
        exif[0x010F] = "TestCam"  # Make
        exif[0x0110] = "Model X"  # Model
    if orientation:
        exif[0x0112] = orientation
    if gps:
        # GPSInfo IFD: N 30°54'18", E 120°48'18"
        exif[0x8825] = {1: "N", 2: (30.0, 54.0, 18.0), 3: "E", 4: (120.0, 48.0, 18.0)}
    if position is not None:
        latitude, longitude = position
        exif[0x8825] = {
            1: "N" if latitude >= 0 else "S",
            2: _dms(latitude),
            3: "E" if longitude >= 0 else "W",
            4: _dms(longitude),
        }
    if taken_at is not None:
        exif_ifd = {0x9003: taken_at}  # DateTimeOriginal
        if offset is not None:
            exif_ifd[0x9011] = offset  # OffsetTimeOriginal
        exif[0x8769] = exif_ifd
    buffer = io.BytesIO()
    params = {"exif": exif.tobytes()} if len(exif) else {}
    image.save(buffer, "JPEG", quality=quality, comment=b"secret comment", **params)
    return buffer.getvalue()


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def heic_bytes(size=(320, 240), seed: int = 3) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return encode(scene(size, seed), "HEIF", quality=80)


def png_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """A real decompression bomb: a 1-bit PNG claiming 100 megapixels, a few kilobytes on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    raw = zlib.compress(row * height, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)
