"""A person's notification choices: channels per kind, quiet hours, the SMS cap, the offer ladder."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from govern.notify.kinds import KINDS

DEFAULT_LADDER = {"low": (600, 1200), "medium": (120, 600), "high": (60, 240), "critical": (20, 90)}


def channels_for(pref, kind: str) -> tuple[str, ...]:
    """The channels this person wants for `kind`: inbox always, then their choice or the defaults."""
    spec = KINDS[kind]
    chosen = (pref.channels or {}).get(kind) if pref is not None else None
    wanted = spec.channels if chosen is None else tuple(c for c in chosen if c in spec.allowed)
    return ("inbox", *(c for c in wanted if c != "inbox"))


def in_quiet_hours(start: time | None, end: time | None, at: datetime) -> bool:
    if start is None or end is None or start == end:
        return False
    local = timezone.localtime(at).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window crosses midnight


def quiet_until(start: time | None, end: time | None, at: datetime) -> datetime:
    """When a message due at `at` may go: `at` itself, or the end of the quiet window it falls in."""
    if not in_quiet_hours(start, end, at):
        return at
    local = timezone.localtime(at)
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return end_today if end_today > local else end_today + timedelta(days=1)


def ladder(severity: str) -> tuple[int, int]:
    """(push after N s unseen, SMS after M s unaccepted) for an offer of this severity."""
    table = getattr(settings, "NOTIFY_OFFER_LADDER", DEFAULT_LADDER)
    return tuple(table.get(severity) or table.get("medium") or DEFAULT_LADDER["medium"])


def sms_hourly_cap() -> int:
    return int(getattr(settings, "NOTIFY_SMS_PER_HOUR", 5))
