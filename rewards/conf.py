"""Settings of the rewards app, each overridable in Django settings (or tests) by the same name."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from govern.media.limits import ACCEPTED_FORMATS, MediaLimits


def daily_cap() -> int:
    """Most points one user can EARN from rules per local calendar day; 0 disables the cap.

    Adjustments by dispatchers, refunds and reversals are not earnings and never count.
    """
    return int(getattr(settings, "POINTS_DAILY_CAP", 200))


def adjust_max() -> int:
    """Largest absolute amount of one manual adjustment (a typo guard, not a policy)."""
    return int(getattr(settings, "POINTS_ADJUST_MAX", 10_000))


def code_length() -> int:
    """Characters of a redemption code (>= 12: 31**12 is about 2**59 guesses)."""
    return max(12, int(getattr(settings, "REDEMPTION_CODE_LENGTH", 12)))


def expiry_batch() -> int:
    """How many overdue redemptions one expiry run handles (the next run takes the rest)."""
    return int(getattr(settings, "REDEMPTION_EXPIRY_BATCH", 500))


def expire_after_days() -> int:
    """Points unspent this many days after they were credited expire (rewards.expiry); 0: never."""
    return max(0, int(getattr(settings, "POINTS_EXPIRE_AFTER_DAYS", 0)))


def expiry_interval() -> timedelta:
    return getattr(settings, "REDEMPTION_EXPIRY_INTERVAL", timedelta(minutes=5))


def leaderboard_size() -> int:
    return int(getattr(settings, "LEADERBOARD_SIZE", 50))


def coupon_image_max_side() -> int:
    """Coupon images are re-encoded no larger than this many pixels on the long side."""
    return int(getattr(settings, "COUPON_IMAGE_MAX_SIDE", 1200))


def coupon_image_max_bytes() -> int:
    return int(getattr(settings, "COUPON_IMAGE_MAX_BYTES", 8 * 1024 * 1024))


def coupon_image_max_pixels() -> int:
    """Width × height above this is refused before decoding (decompression bombs)."""
    return int(getattr(settings, "COUPON_IMAGE_MAX_PIXELS", 40_000_000))


def coupon_image_formats() -> tuple[str, ...]:
    """Containers a coupon image may come in (some of govern.media.limits.ACCEPTED_FORMATS)."""
    return tuple(getattr(settings, "COUPON_IMAGE_FORMATS", ACCEPTED_FORMATS))


def coupon_image_limits() -> MediaLimits:
    """One image per coupon, stored as one JPEG (govern.media)."""
    return MediaLimits(
        max_bytes=coupon_image_max_bytes(),
        max_pixels=coupon_image_max_pixels(),
        sizes={"large": coupon_image_max_side()},
        max_count=1,
        formats=coupon_image_formats(),
    )


def expiry_warning() -> timedelta:
    """How long before an issued code expires its owner is reminded (once; 0: never)."""
    return timedelta(hours=max(0, float(getattr(settings, "REDEMPTION_EXPIRY_WARNING_HOURS", 24))))
