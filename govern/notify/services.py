"""Writes from people: read marks, preferences, push subscriptions, an offer's card seen."""

from __future__ import annotations

import re
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from govern.models import (
    MAINLAND_MOBILE_REGEX,
    Channel,
    Notification,
    NotificationPreference,
    NotificationStatus,
    PushSubscription,
    User,
)
from govern.notify.kinds import KINDS

B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


@transaction.atomic
def notification_read(*, actor: User, notification_id: int) -> Notification:
    row = Notification.objects.filter(pk=notification_id, user=actor, channel=Channel.INBOX).first()
    if row is None:
        raise NotFound(_("No notification with this id."))
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
    return row


@transaction.atomic
def notifications_read_all(*, actor: User) -> int:
    return Notification.objects.filter(user=actor, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _clean_channels(value) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise InvalidInput(_("channels must be an object: kind → list of channels."), field="channels")
    out = {}
    for kind, chosen in value.items():
        if kind not in KINDS:
            raise InvalidInput(_("Unknown notification kind: %(kind)s.") % {"kind": kind}, field="channels")
        if not isinstance(chosen, list) or any(c not in KINDS[kind].allowed for c in chosen):
            raise InvalidInput(
                _("Channels for %(kind)s must be a list of: %(allowed)s.")
                % {"kind": kind, "allowed": ", ".join(KINDS[kind].allowed)},
                field="channels",
            )
        out[kind] = sorted(set(chosen) | {Channel.INBOX.value})
    return out


def _clean_time(value, field: str) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(_("Give a time as HH:MM."), field=field)


@transaction.atomic
def notification_preferences_update(
    *,
    actor: User,
    channels: dict | None = None,
    quiet_start=None,
    quiet_end=None,
    email: str | None = None,
    phone: str | None = None,
) -> NotificationPreference:
    """Replace the person's choices (channels given: those kinds; quiet hours: both or neither)."""
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
    if channels is not None:
        pref.channels = {**pref.channels, **_clean_channels(channels)}
    start, end = _clean_time(quiet_start, "quiet_start"), _clean_time(quiet_end, "quiet_end")
    if (start is None) != (end is None):
        raise InvalidInput(
            _("Give both ends of the quiet hours, or neither."), field="quiet_end" if start else "quiet_start"
        )
    pref.quiet_start, pref.quiet_end = start, end
    pref.save()
    user_fields = []
    if email is not None:
        email = email.strip()
        if email:
            try:
                EmailValidator()(email)
            except ValidationError:
                raise InvalidInput(_("Enter a valid e-mail address."), field="email")
        actor.email = email
        user_fields.append("email")
    if phone is not None:
        phone = phone.strip()
        if phone and not re.match(MAINLAND_MOBILE_REGEX, phone):
            raise InvalidInput(_("Enter a mainland China mobile number: 11 digits starting with 13–19."), field="phone")
        actor.phone = phone
        user_fields.append("phone")
    if user_fields:
        actor.save(update_fields=user_fields)
    return pref


@transaction.atomic
def push_subscribe(*, actor: User, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    endpoint = (endpoint or "").strip()
    try:
        # Push services are https; plain http only where settings allow it (tests' local receiver).
        schemes = ["https", "http"] if getattr(settings, "NOTIFY_PUSH_ALLOW_HTTP", False) else ["https"]
        URLValidator(schemes=schemes)(endpoint)
    except ValidationError:
        raise InvalidInput(_("The push endpoint must be an https URL."), field="endpoint")
    if len(endpoint) > 1000:
        raise InvalidInput(_("The push endpoint is too long."), field="endpoint")
    for name, value, size in (("keys.p256dh", p256dh, 200), ("keys.auth", auth, 100)):
        if not value or len(value) > size or not B64URL_RE.match(value):
            raise InvalidInput(_("This key must be base64url text from the browser."), field=name)
    sub, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": actor, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]}
    )
    return sub


@transaction.atomic
def push_unsubscribe(*, actor: User, endpoint: str) -> int:
    deleted, _rows = PushSubscription.objects.filter(user=actor, endpoint=(endpoint or "").strip()).delete()
    return deleted


@transaction.atomic
def notifications_seen(*, actor: User, ref: str) -> int:
    """The card for `ref` ("task:17") was shown to this person: the ladder's push is not needed."""
    now = timezone.now()
    seen = Notification.objects.filter(user=actor, ref=ref, seen_at__isnull=True).update(seen_at=now)
    Notification.objects.filter(
        user=actor, ref=ref, channel=Channel.PUSH, condition="offer_unseen", status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.CANCELLED, last_error=_("the offer was seen")[:500])
    return seen
