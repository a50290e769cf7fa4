"""Notification rows from live events, in the publisher's transaction (called by govern.live).

Costs nothing for an event no kind listens to (a dict lookup). For the others: one read of the
recipients' preferences (and of the dispatchers, for duty-room kinds), one insert of the rows,
and one outbox row for their delivery, all before the publisher's commit. The in-app inbox needs
no event of its own: the event that caused the row already goes to the person's live topic, and
an open inbox page reloads its list when one of the notified types arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from govern import task_outbox
from govern.models import Channel, Notification, NotificationPreference, NotificationStatus
from govern.notify import prefs
from govern.notify.kinds import RULES, Intent

DELIVER_TASK = "govern.tasks.deliver_notifications"


# Apps that know of people without an account to reach by SMS for a kind (an anonymous reporter who
# asked for updates): kind -> phones(event data) -> [mainland mobile numbers]. hazards registers
# "report_update". One query per event of such a kind, in the publisher's transaction.
PHONES: dict[str, Callable[[dict], list[str]]] = {}


def phone_quiet_hours() -> tuple[time | None, time | None]:
    """Those people set no quiet hours: the site's (NOTIFY_PHONE_QUIET_HOURS, "22:00-07:00"; ""
    for none) apply to them; critical ones go at once."""
    value = getattr(settings, "NOTIFY_PHONE_QUIET_HOURS", "22:00-07:00") or ""
    start, _sep, end = value.partition("-")
    try:
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        return None, None


def register_phones(kind: str, phones: Callable[[dict], list[str]]) -> None:
    PHONES[kind] = phones


def _phone_rows(event, intent: Intent, now: datetime) -> list[Notification]:
    resolve = PHONES.get(intent.kind)
    if resolve is None:
        return []
    due = now if intent.severity == "critical" else prefs.quiet_until(*phone_quiet_hours(), now)
    return [
        Notification(
            user=None,
            phone=phone,
            event_id=event.pk,
            kind=intent.kind,
            channel=Channel.SMS,
            severity=intent.severity,
            ref=intent.ref,
            data=event.data,
            due_at=due,
            created_at=now,
        )
        for phone in dict.fromkeys(resolve(event.data))
        if phone
    ]


def intents_for(events) -> list[tuple[object, Intent]]:
    out = []
    for event in events:
        rule = RULES.get(event.type)
        if rule is not None:
            out.extend((event, intent) for intent in rule(event.data, event.topics))
    return out


def wants_notifications(types) -> bool:
    return any(t in RULES for t in types)


def _dispatcher_ids() -> tuple[int, ...]:
    from govern.models import User
    from govern.roles import DISPATCHER

    return tuple(User.objects.filter(is_active=True, groups__name=DISPATCHER).values_list("pk", flat=True))


def _rows_for(event, intent: Intent, user_id: int, pref, now: datetime) -> list[Notification]:
    quiet = (pref.quiet_start, pref.quiet_end) if pref is not None else (None, None)
    critical = intent.severity == "critical"
    rows = []
    for channel in prefs.channels_for(pref, intent.kind):
        due, condition = now, ""
        if intent.kind == "offer_received" and channel in (Channel.PUSH, Channel.SMS):
            # The offer ladder: push if the card was not seen, SMS if the offer is still not taken.
            push_after, sms_after = prefs.ladder(intent.severity)
            after = push_after if channel == Channel.PUSH else sms_after
            deadline = _parse(event.data.get("accept_deadline"))
            if deadline is not None:  # well before the deadline: at most half-way to it
                after = min(after, max(0, (deadline - now).total_seconds() / 2))
            due = now + timedelta(seconds=after)
            condition = "offer_unseen" if channel == Channel.PUSH else "offer_open"
        if channel != Channel.INBOX and not critical:
            due = prefs.quiet_until(*quiet, due)
        inbox = channel == Channel.INBOX
        rows.append(
            Notification(
                user_id=user_id,
                event_id=event.pk,
                kind=intent.kind,
                channel=channel,
                severity=intent.severity,
                ref=intent.ref,
                data=event.data,
                condition=condition,
                due_at=due,
                created_at=now,
                status=NotificationStatus.SENT if inbox else NotificationStatus.PENDING,
                sent_at=now if inbox else None,
            )
        )
    return rows


def _parse(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def record_for_events(events) -> list[Notification]:
    """Write the notification rows these (just written) events call for; queue their delivery."""
    pairs = intents_for(events)
    if not pairs:
        return []
    dispatchers = _dispatcher_ids() if any(i.dispatchers for _e, i in pairs) else ()
    recipients = {
        (e.pk, i.kind): tuple(dict.fromkeys((*i.user_ids, *(dispatchers if i.dispatchers else ())))) for e, i in pairs
    }
    user_ids = {u for ids in recipients.values() for u in ids}
    pref_by_user = (
        {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)} if user_ids else {}
    )
    now = timezone.now()
    rows = []
    for event, intent in pairs:
        for user_id in recipients[(event.pk, intent.kind)]:
            rows.extend(_rows_for(event, intent, user_id, pref_by_user.get(user_id), now))
        rows.extend(_phone_rows(event, intent, now))
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    due_now = [n.pk for n in created if n.status == NotificationStatus.PENDING and n.due_at <= now]
    if due_now:
        task_outbox.enqueue_on_commit(DELIVER_TASK, ids=due_now)
    return created
