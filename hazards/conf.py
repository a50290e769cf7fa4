"""Settings of the hazards app, each overridable in Django settings under the same name."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def max_photo_bytes() -> int:
    """Refused before a byte is decoded (15 MB: a full-resolution phone photo is 2–8 MB)."""
    return _get("HAZARD_PHOTO_MAX_BYTES", 15 * 1024 * 1024)


def max_photo_pixels() -> int:
    """Width × height above this is refused before decoding (decompression bombs)."""
    return _get("HAZARD_PHOTO_MAX_PIXELS", 50_000_000)


def max_photos() -> int:
    return _get("HAZARD_MAX_PHOTOS", 6)


def photo_sizes() -> dict[str, int]:
    """Long edge in pixels of each stored rendition."""
    return _get("HAZARD_PHOTO_SIZES", {"large": 2560, "medium": 1024, "thumb": 320})


def duplicate_radius_m() -> float:
    return _get("HAZARD_DUPLICATE_RADIUS_M", 50.0)


def duplicate_window_hours() -> int:
    return _get("HAZARD_DUPLICATE_WINDOW_HOURS", 72)


def phash_max_distance() -> int:
    """Hamming distance (of 64 bits) at or under which two photos count as nearly identical.

    The lookup splits each hash into PHASH_BANDS indexed bands; by the pigeonhole principle any
    hash within distance < PHASH_BANDS shares at least one band, so keep this below that.
    """
    return min(_get("HAZARD_PHASH_MAX_DISTANCE", 3), 3)


def phash_window_days() -> int:
    """How far back the near-identical photo check looks."""
    return _get("HAZARD_PHASH_WINDOW_DAYS", 180)


def public_coordinate_decimals() -> int:
    """Public pages round coordinates to this many decimals: 3 ≈ 110 m north–south, ≈ 95 m east–west here."""
    return _get("HAZARD_PUBLIC_COORDINATE_DECIMALS", 3)


def geojson_limit() -> int:
    return _get("HAZARD_GEOJSON_LIMIT", 5000)


def public_map_limit() -> int:
    return _get("HAZARD_PUBLIC_MAP_LIMIT", 500)


def near_max_radius_m() -> float:
    return _get("HAZARD_NEAR_MAX_RADIUS_M", 50_000.0)
