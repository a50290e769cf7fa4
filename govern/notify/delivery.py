"""Sending notification rows: claim, check, send, record; retry with back-off; the sweep.

A row is claimed by one guarded UPDATE (pending and due → sending): of two workers holding the
same message (a redelivery after a lost ack), one claims it, the other finds nothing to do. A
worker that dies mid-send leaves the row `sending`; the sweep gives it back after STUCK_AFTER
(an SMS may then go twice: the provider took it but we never heard — at-least-once, as any
provider without an idempotency key allows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.models import Channel, Notification, NotificationStatus
from govern.notify import channels, kinds, prefs

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STUCK_AFTER = timedelta(minutes=10)
SMS_CAP_DEFER = timedelta(minutes=10)

# Apps register whether what a ladder step is about still needs it ("is the offer still open for
# this person?"): name -> check(notification) -> bool. hazards registers "offer_open".
CHECKS: dict[str, Callable[[Notification], bool]] = {}


def register_check(name: str, check: Callable[[Notification], bool]) -> None:
    CHECKS[name] = check


# Apps that show a kind's delivery somewhere (the board shows how an offer reached its person):
# kind -> [listener(notification)], called once a push/SMS/e-mail row of that kind has settled
# (sent, skipped, failed or cancelled). A listener's failure is logged, never the delivery's.
LISTENERS: dict[str, list[Callable[[Notification], None]]] = {}


def register_listener(kind: str, listener: Callable[[Notification], None]) -> None:
    if listener not in LISTENERS.setdefault(kind, []):
        LISTENERS[kind].append(listener)


def _settled(row_id: int, kind: str) -> None:
    for listener in LISTENERS.get(kind, ()):
        try:
            listener(Notification.objects.get(pk=row_id))
        except Exception:
            logger.exception("notification %s: listener %r failed", row_id, listener)


def _condition_holds(row: Notification) -> tuple[bool, str]:
    if not row.condition:
        return True, ""
    open_check = CHECKS.get("offer_open")
    if open_check is not None and not open_check(row):
        return False, _("the offer is no longer open")
    if row.condition == "offer_unseen":
        seen = Notification.objects.filter(user_id=row.user_id, ref=row.ref, seen_at__isnull=False).exists()
        if seen:
            return False, _("the offer was seen")
    return True, ""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


def site_url(path: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{path}" if base else path


def _finish(row_id: int, **fields) -> None:
    Notification.objects.filter(pk=row_id, status=NotificationStatus.SENDING).update(**fields)


def deliver_one(row_id: int, *, now: datetime | None = None) -> str:
    """Send one row if it is pending and due; returns its status afterwards ('' if not claimed)."""
    status, kind = _deliver_one(row_id, now=now or timezone.now())
    if status and status != NotificationStatus.PENDING:
        _settled(row_id, kind)
    return status


def _deliver_one(row_id: int, *, now: datetime) -> tuple[str, str]:
    claimed = Notification.objects.filter(pk=row_id, status=NotificationStatus.PENDING, due_at__lte=now).update(
        status=NotificationStatus.SENDING, attempts=F("attempts") + 1, due_at=now
    )  # due_at: claimed at
    if not claimed:
        return "", ""
    row = Notification.objects.select_related("user").get(pk=row_id)
    return _send(row, now=now), row.kind


def _send(row: Notification, *, now: datetime) -> str:
    row_id = row.pk
    holds, why = _condition_holds(row)
    if not holds:
        _finish(row_id, status=NotificationStatus.CANCELLED, last_error=why[:500])
        return NotificationStatus.CANCELLED
    if row.channel == Channel.SMS and row.severity != "critical":
        hour_ago = now - timedelta(hours=1)
        recipient = {"user_id": row.user_id} if row.user_id else {"user__isnull": True, "phone": row.phone}
        sent = Notification.objects.filter(
            **recipient, channel=Channel.SMS, status=NotificationStatus.SENT, sent_at__gte=hour_ago
        ).count()
        if sent >= prefs.sms_hourly_cap():
            _finish(
                row_id,
                status=NotificationStatus.PENDING,
                due_at=now + SMS_CAP_DEFER,
                attempts=F("attempts") - 1,
                last_error=_("SMS cap per hour reached; deferred")[:500],
            )
            return NotificationStatus.PENDING
    title, body, url = kinds.text(row.kind, row.data)
    message = channels.Message(title=title, body=body, url=site_url(url))
    try:
        reference = channels.get(row.channel)(row, message)
    except channels.Skip as skip:
        _finish(row_id, status=NotificationStatus.SKIPPED, last_error=str(skip)[:500])
        return NotificationStatus.SKIPPED
    except channels.ProviderError as exc:
        logger.warning("notification %s (%s) not sent: %s", row_id, row.channel, exc)
        if row.attempts >= MAX_ATTEMPTS:
            _finish(row_id, status=NotificationStatus.FAILED, last_error=str(exc)[:500])
            return NotificationStatus.FAILED
        _finish(
            row_id, status=NotificationStatus.PENDING, due_at=now + backoff(row.attempts), last_error=str(exc)[:500]
        )
        return NotificationStatus.PENDING
    except Exception as exc:  # a bug in a channel must not leave the row stuck: retried, recorded
        logger.exception("notification %s (%s) failed", row_id, row.channel)
        _finish(
            row_id, status=NotificationStatus.PENDING, due_at=now + backoff(row.attempts), last_error=repr(exc)[:500]
        )
        return NotificationStatus.PENDING
    _finish(row_id, status=NotificationStatus.SENT, sent_at=timezone.now(), last_error=str(reference)[:500])
    return NotificationStatus.SENT


def deliver(ids, *, now: datetime | None = None) -> int:
    """Send these rows (the on-commit task); returns how many went out."""
    return sum(deliver_one(int(i), now=now) == NotificationStatus.SENT for i in ids)


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat job: give stuck rows back, then send every pending row that is due (ladder steps,
    quiet hours over, retries, and whatever a broker outage at commit left)."""
    now = now or timezone.now()
    Notification.objects.filter(status=NotificationStatus.SENDING, due_at__lte=now - STUCK_AFTER).update(
        status=NotificationStatus.PENDING
    )
    ids = list(
        Notification.objects.filter(status=NotificationStatus.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return deliver(ids, now=now)
