"""Reads of notifications: the inbox, the unread count, preferences, and a task's delivery state."""

from __future__ import annotations

from govern.models import Channel, Notification, NotificationPreference
from govern.notify import prefs
from govern.notify.kinds import KINDS


def inbox(user, *, limit: int = 50, before: int | None = None, unread_only: bool = False):
    rows = Notification.objects.filter(user=user, channel=Channel.INBOX)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    if before:
        rows = rows.filter(pk__lt=before)
    return list(rows.order_by("-id")[:limit])


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).count()


def preferences(user) -> dict:
    pref = NotificationPreference.objects.filter(user=user).first()
    return {
        "channels": {key: list(prefs.channels_for(pref, key)) for key in KINDS},
        "quiet_start": pref.quiet_start.strftime("%H:%M") if pref and pref.quiet_start else None,
        "quiet_end": pref.quiet_end.strftime("%H:%M") if pref and pref.quiet_end else None,
        "email": user.email,
        "phone": user.phone,
    }


def offer_reach(pairs) -> dict[tuple[int, str], dict]:
    """How each offer reached its person, for the board (one query): {(user id, ref): {"seen": bool,
    "push": status or None, "sms": status or None}}; a channel the offer never used is None."""
    pairs = list(pairs)
    out: dict[tuple[int, str], dict] = {pair: {"seen": False, "push": None, "sms": None} for pair in pairs}
    if not pairs:
        return out
    rows = (
        Notification.objects.filter(
            kind="offer_received", ref__in={ref for _u, ref in pairs}, user_id__in={u for u, _r in pairs}
        )
        .order_by("id")
        .values_list("user_id", "ref", "channel", "status", "seen_at")
    )
    for user_id, ref, channel, status, seen_at in rows:
        entry = out.get((user_id, ref))
        if entry is None:
            continue
        entry["seen"] = entry["seen"] or seen_at is not None
        if channel in (Channel.PUSH, Channel.SMS):
            entry[channel] = status  # the newest row of the channel wins
    return out
