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


def delivery_by_ref(refs) -> dict[tuple[int, str], dict]:
    """{(user id, ref): {"seen": bool, "sent_by": [channels]}} for the board (one query)."""
    out: dict[tuple[int, str], dict] = {}
    rows = Notification.objects.filter(ref__in=list(refs)).values_list("user_id", "ref", "channel", "status", "seen_at")
    for user_id, ref, channel, status, seen_at in rows:
        entry = out.setdefault((user_id, ref), {"seen": False, "sent_by": []})
        entry["seen"] = entry["seen"] or seen_at is not None
        if status == "sent" and channel not in entry["sent_by"]:
            entry["sent_by"].append(channel)
    return out
