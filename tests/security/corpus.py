"""Bad-input corpus builders: hostile and odd photos made on the spot, and hostile field values."""

from __future__ import annotations

import io

from PIL import Image

from tests.hazards.images import encode, jpeg_bytes, png_bomb, scene

PAYLOAD = b"<script>alert('govern-payload-7f3a')</script>"


def _animated_gif() -> bytes:
    frames = [scene((64, 48), seed).convert("P") for seed in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _png16() -> bytes:
    return encode(Image.new("I;16", (64, 48), 40000), "PNG")


# name -> (file name, bytes, content type, "accept" | "reject")
PHOTOS: dict[str, tuple[str, bytes, str, str]] = {
    "truncated JPEG": ("t.jpg", jpeg_bytes(size=(320, 240))[:1500], "image/jpeg", "reject"),
    "decompression-bomb PNG": ("bomb.png", png_bomb(), "image/png", "reject"),
    "HTML renamed .jpg": (
        "page.jpg",
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        "image/jpeg",
        "reject",
    ),
    # Only the re-encoded pixels are stored, so the trailing bytes never reach MEDIA_ROOT (checked).
    "JPEG with payload appended": ("p.jpg", jpeg_bytes(size=(320, 240)) + PAYLOAD, "image/jpeg", "accept"),
    "SVG with script": (
        "x.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        "reject",
    ),
    "SVG renamed .png": (
        "x.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "image/png",
        "reject",
    ),
    "zero bytes": ("z.jpg", b"", "image/jpeg", "reject"),
    "animated GIF": ("a.gif", _animated_gif(), "image/gif", "reject"),
    "CMYK JPEG": ("c.jpg", encode(scene((160, 120)).convert("CMYK"), "JPEG"), "image/jpeg", "accept"),
    "16-bit PNG": ("g.png", _png16(), "image/png", "accept"),
    "EXIF orientation 6": ("o.jpg", jpeg_bytes(size=(320, 240), orientation=6), "image/jpeg", "accept"),
    "GPS-tagged JPEG": ("gps.jpg", jpeg_bytes(size=(320, 240), gps=True), "image/jpeg", "accept"),
}

OVERSIZED = "oversized (over HAZARD_PHOTO_MAX_BYTES)"

# Odd text: each must be refused with a 4xx naming the field, or stored exactly as sent/cleaned.
TEXTS = {
    "NUL byte": "煤气\x00罐",
    "control characters": "a\x07b\x1bc\x7f",
    "RTL override": "gas\u202ekcol\u202c leak",
    "zero-width chars": "g\u200ba\u200cs\u200d\ufeff",
    "lone surrogate-like escape": "\\ud800",
    "emoji and CJK": "煤气泄漏🔥🧯",
    "huge string": "x" * 100_000,
}

NUMBERS = {
    "latitude 91": ("latitude", "91"),
    "latitude -90.0001": ("latitude", "-90.0001"),
    "longitude 181": ("longitude", "181"),
    "NaN": ("latitude", "NaN"),
    "Infinity": ("longitude", "Infinity"),
    "-Infinity": ("latitude", "-Infinity"),
    "1e309": ("latitude", "1e309"),
    "wrong type (word)": ("latitude", "north"),
    "empty": ("longitude", ""),
    "NUL in number": ("latitude", "30.9\x00"),
    "outside every grid": ("latitude", "10.0"),
}
