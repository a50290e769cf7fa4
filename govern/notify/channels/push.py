"""Web Push (RFC 8030/8291/8292) through pywebpush, signed with the VAPID key from the environment.

Android Chrome delivers through Google's push service (FCM), which is unreachable from mainland
China: there, push is a bonus and SMS is the dependable channel (docs/events.md §11).
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.utils.translation import gettext as _

from govern.notify.channels import Message, ProviderError, Skip

logger = logging.getLogger(__name__)


def vapid_public_key() -> str:
    """The applicationServerKey pages subscribe with (base64url, uncompressed P-256 point), derived
    from the private key so the two can never disagree; "" when push is not configured."""
    private = getattr(settings, "VAPID_PRIVATE_KEY", "")
    if not private:
        return ""
    import base64

    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    raw = Vapid.from_string(private).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def send(notification, message: Message) -> str:
    from pywebpush import WebPushException, webpush

    from govern.models import PushSubscription

    if not getattr(settings, "VAPID_PRIVATE_KEY", ""):
        raise Skip(_("push is not configured on this server"))
    subscriptions = list(PushSubscription.objects.filter(user_id=notification.user_id))
    if not subscriptions:
        raise Skip(_("no device subscribed to push"))
    payload = json.dumps(
        {
            "id": notification.pk,
            "kind": notification.kind,
            "title": message.title,
            "body": message.body,
            "url": message.url,
        },
        ensure_ascii=False,
    )
    delivered, errors = 0, []
    for sub in subscriptions:
        try:
            webpush(
                subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                data=payload,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=getattr(settings, "NOTIFY_PUSH_TTL", 3600),
                timeout=10,
            )
            delivered += 1
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):  # the browser dropped the subscription: forget it
                sub.delete()
                continue
            errors.append(f"{status}: {exc}"[:200])
        except Exception as exc:  # network errors (requests) and the like: retried later
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
    if delivered:
        return f"{delivered} device(s)"
    if errors:
        raise ProviderError("; ".join(errors))
    raise Skip(_("no device subscribed to push"))
