"""Settings of the hazards app, each overridable in Django settings under the same name."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from govern.media.limits import MediaLimits


def _get(name: str, default):
    return getattr(settings, name, default)


def alarm_categories() -> tuple[str, ...]:
    """Categories (slugs) whose reports raise the board's alarm at any severity."""
    return tuple(_get("HAZARD_ALARM_CATEGORIES", ("gas-safety",)))


def max_photo_bytes() -> int:
    """Refused before a byte is decoded (15 MB: a full-resolution phone photo is 2–8 MB)."""
    return _get("HAZARD_PHOTO_MAX_BYTES", 15 * 1024 * 1024)


def max_photo_pixels() -> int:
    """Width × height above this is refused before decoding (decompression bombs)."""
    return _get("HAZARD_PHOTO_MAX_PIXELS", 50_000_000)


def quarantine_orphan_age() -> timedelta:
    """A quarantined upload no photo row names is deleted once this old (PHOTO_QUARANTINE_ORPHAN_AGE):
    longer than any request takes between writing the file and committing its row."""
    return _get("PHOTO_QUARANTINE_ORPHAN_AGE", timedelta(hours=1))


def photo_unreadable_give_up() -> timedelta:
    """A photo whose quarantined original no worker could read stays owed (the sweep sends it
    again every 5 minutes) until it is this old (PHOTO_UNREADABLE_GIVE_UP), then ends `failed`:
    long enough to fix the storage of a worker, short enough that a reporter hears of it."""
    return _get("PHOTO_UNREADABLE_GIVE_UP", timedelta(days=1))


def max_photos() -> int:
    return _get("HAZARD_MAX_PHOTOS", 6)


def photo_sizes() -> dict[str, int]:
    """Long edge in pixels of each stored rendition."""
    return _get("HAZARD_PHOTO_SIZES", {"large": 2560, "medium": 1024, "thumb": 320})


def photo_limits() -> MediaLimits:
    """What a report's, a task's or an inspection's photos may be (govern.media)."""
    return MediaLimits(
        max_bytes=max_photo_bytes(), max_pixels=max_photo_pixels(), sizes=photo_sizes(), max_count=max_photos()
    )


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


def list_count_cap() -> int:
    """GET /api/v1/hazards/ counts matches exactly up to this many; beyond, `count` is this number
    and `count_exact` is false (counting a million rows would cost more than the page)."""
    return int(_get("HAZARD_LIST_COUNT_CAP", 1_000))


def near_max_radius_m() -> float:
    return _get("HAZARD_NEAR_MAX_RADIUS_M", 50_000.0)


# --- dispatch (issue 6) ----------------------------------------------------------------------------


def travel_modes() -> list[dict]:
    """How a responder gets there, by distance: the first mode whose `max_m` covers the distance
    gives the speed (m/s) for `eta_s`. Walking ≈ 5 km/h, e-bike ≈ 16 km/h (the 25 km/h legal cap,
    less traffic lights), car ≈ 30 km/h in town. The last mode has no limit."""
    return _get(
        "HAZARD_TRAVEL_MODES",
        [
            {"mode": "walking", "max_m": 800, "speed_mps": 1.4},
            {"mode": "ebike", "max_m": 8000, "speed_mps": 4.5},
            {"mode": "car", "max_m": None, "speed_mps": 8.3},
        ],
    )


def candidate_radius_m() -> float:
    """Volunteers farther than this from a hazard are not candidates."""
    return float(_get("HAZARD_CANDIDATE_RADIUS_M", 5000.0))


def candidate_distance_band_m() -> int:
    """Non-dispatchers see candidate distances rounded up to this band (hazards.dispatch.banding)."""
    return max(1, int(_get("HAZARD_CANDIDATE_DISTANCE_BAND_M", 250)))


def candidate_limit() -> int:
    """The candidates list returns at most this many people."""
    return int(_get("HAZARD_CANDIDATE_LIMIT", 20))


def grid_worker_max_active_tasks() -> int:
    """Grid workers' task limit (volunteers have their own, per profile)."""
    return int(_get("HAZARD_GRID_WORKER_MAX_ACTIVE_TASKS", 10))


def severity_sla_factor() -> dict[str, float]:
    """The category's SLA minutes are for a medium hazard; graver ones get less time."""
    return _get("HAZARD_SEVERITY_SLA_FACTOR", {"low": 2.0, "medium": 1.0, "high": 0.5, "critical": 0.25})


def min_accept_minutes() -> int:
    """No accept window shorter than this, whatever the factor (people need to read the offer)."""
    return int(_get("HAZARD_MIN_ACCEPT_MINUTES", 3))


def max_broadcast() -> int:
    """A dispatch may offer one hazard to at most this many people at once (first to accept wins)."""
    return int(_get("HAZARD_MAX_BROADCAST", 5))


def grid_worker_verify_severities() -> tuple[str, ...]:
    """A grid worker of the hazard's grid may verify fixes of these severities; dispatchers any."""
    return tuple(_get("HAZARD_GRID_WORKER_VERIFY_SEVERITIES", ("low",)))


def service_minutes_cap() -> int:
    """Service minutes credited for one verified task are capped (a forgotten task is not a day's work)."""
    return int(_get("HAZARD_TASK_SERVICE_MINUTES_CAP", 240))


def proof_reuse_window_days() -> int:
    """An after-photo matching another task's after-photo from this many days back is flagged."""
    return int(_get("HAZARD_PROOF_REUSE_WINDOW_DAYS", 180))


def proof_max_distance_m() -> float:
    """An after-photo whose EXIF position is farther than this from the hazard is flagged: phone
    positions are good to tens of metres, a reporter's pin to a building."""
    return float(_get("HAZARD_PROOF_MAX_DISTANCE_M", 300.0))


def proof_clock_tolerance() -> timedelta:
    """Slack around accept → done for the EXIF capture time (camera clocks drift, zones are guessed)."""
    return timedelta(minutes=int(_get("HAZARD_PROOF_CLOCK_TOLERANCE_MINUTES", 15)))


def offer_expiry_warning() -> timedelta:
    """How long before an offer's accept deadline its person is reminded (once; escalation)."""
    return timedelta(seconds=max(0, int(_get("OFFER_EXPIRY_WARNING_S", 120))))
