"""Settings of the volunteers app, read at call time so tests and deployments can override them.

Every value may be set in Django settings under the same name; these are the defaults.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from govern.media.limits import ACCEPTED_FORMATS, MediaLimits


def _duration(name: str, default: timedelta) -> timedelta:
    value = getattr(settings, name, default)
    # Allow plain seconds from environment-driven settings.
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def position_max_age() -> timedelta:
    """A duty position older than this is stale: dispatch ignores it and the map greys it out."""
    return _duration("VOLUNTEER_POSITION_MAX_AGE", timedelta(minutes=15))


def duty_silence_timeout() -> timedelta:
    """An on-duty volunteer whose phone has sent no position for this long is taken off duty
    (the phone died, the browser was closed): the dispatcher's map and the duty roster then show
    who is really out there. Longer than position_max_age, so a short gap only greys the marker."""
    return _duration("VOLUNTEER_DUTY_SILENCE_TIMEOUT", timedelta(minutes=60))


def default_max_active_tasks() -> int:
    """How many tasks dispatch may give one volunteer at once, unless set per volunteer."""
    return int(getattr(settings, "VOLUNTEER_DEFAULT_MAX_ACTIVE_TASKS", 2))


def position_event_min_move_m() -> float:
    """A position update publishes `volunteer.position_changed` when it moved at least this far ...
    (so phones reporting every few seconds do not flood the outbox) ..."""
    return float(getattr(settings, "VOLUNTEER_POSITION_EVENT_MIN_MOVE_M", 25.0))


def position_event_min_interval() -> timedelta:
    """... or when the previous position is at least this old (keeps the map's freshness honest)."""
    return _duration("VOLUNTEER_POSITION_EVENT_MIN_INTERVAL", timedelta(seconds=60))


def default_near_radius_m() -> float:
    """`near=` without `radius_m` searches this far."""
    return float(getattr(settings, "VOLUNTEER_DEFAULT_NEAR_RADIUS_M", 2000.0))


def max_near_radius_m() -> float:
    return float(getattr(settings, "VOLUNTEER_MAX_NEAR_RADIUS_M", 50_000.0))


def manual_record_max_minutes() -> int:
    """One manual service entry may claim at most this many minutes (one long day)."""
    return int(getattr(settings, "VOLUNTEER_MANUAL_RECORD_MAX_MINUTES", 720))


def manual_daily_max_minutes() -> int:
    """All of one volunteer's manual entries for one service date (pending or approved) may claim
    at most this many minutes together: one long day, however it is split into entries."""
    return int(getattr(settings, "VOLUNTEER_MANUAL_DAILY_MAX_MINUTES", 720))


def manual_record_max_age_days() -> int:
    """A manual service entry may be at most this many days old when submitted."""
    return int(getattr(settings, "VOLUNTEER_MANUAL_RECORD_MAX_AGE_DAYS", 60))


def roster_max_rows() -> int:
    """The CSV roster import refuses files longer than this (split big rosters)."""
    return int(getattr(settings, "VOLUNTEER_ROSTER_MAX_ROWS", 5000))


def apply_rate() -> str:
    """Throttle for anonymous applications that create an account (per client address)."""
    return str(getattr(settings, "VOLUNTEER_APPLY_RATE", "10/hour"))


def star_hours() -> tuple[int, ...]:
    """Approved service hours for one to five stars (星级志愿者), lowest first. The default is the
    national volunteer service record scale: 100, 300, 600, 1000 and 1500 hours."""
    raw = getattr(settings, "VOLUNTEER_STAR_HOURS", (100, 300, 600, 1000, 1500))
    if isinstance(raw, str):
        raw = [part for part in raw.replace(" ", "").split(",") if part]
    return tuple(sorted(int(hours) for hours in raw if int(hours) > 0))[:5]


def certificate_code_length() -> int:
    """Characters of a certificate's verification code (>= 16: 31**16 is about 2**79 guesses)."""
    return max(16, int(getattr(settings, "VOLUNTEER_CERTIFICATE_CODE_LENGTH", 16)))


def certificate_photo_limits() -> MediaLimits:
    """One photo of a certificate, stored as one JPEG large enough to read (govern.media)."""
    return MediaLimits(
        max_bytes=int(getattr(settings, "CERTIFICATE_PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
        max_pixels=int(getattr(settings, "CERTIFICATE_PHOTO_MAX_PIXELS", 40_000_000)),
        sizes={"large": int(getattr(settings, "CERTIFICATE_PHOTO_MAX_SIDE", 1600))},
        max_count=1,
        formats=ACCEPTED_FORMATS,
    )
