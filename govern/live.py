"""The one road out for live events (see docs/events.md for every type and payload).

`publish()` writes a LiveEvent row (and its topic rows) in the caller's transaction and, once that
transaction commits, sends it to each topic's channel-layer group. Because the row is written
first, a client that was offline replays it later from `/ws/live/?last_event_id=N`; if the
channel layer is down the request still succeeds and the event waits in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction

from govern.models import LiveEvent, LiveEventTopic

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every publisher.
_PUBLISH_LOCK_KEY = 0x60FE12


def topic_group(topic: str) -> str:
    """Channel-layer group names allow only [a-zA-Z0-9_.-]; topics use ':' as separator."""
    return "live." + "".join(ch if ch.isalnum() or ch in "_.-" else "." for ch in topic)[:90]


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def grid_topic(grid_id: int) -> str:
    return f"grid:{grid_id}"


def hazard_topic(tracking_code: str) -> str:
    return f"hazard:{tracking_code}"


DISPATCH_TOPIC = "dispatch"


def _serialise_commit_order() -> None:
    """Make commit order equal id order, so "every event after N" never skips a late commit.

    PostgreSQL hands out ids at insert time; two concurrent transactions could commit in the
    opposite order, and a client resuming from the higher id would never see the lower one.
    A transaction-scoped advisory lock taken before the insert closes that window. SQLite
    already serialises writers (IMMEDIATE transactions).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PUBLISH_LOCK_KEY])


def _send(event_id: int, message: dict, topics: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    payload = {"type": "live.event", "event": message, "topics": topics}
    send = async_to_sync(layer.group_send)
    for topic in topics:
        try:
            send(topic_group(topic), payload)
        except Exception:  # the outbox row stays; clients get it on replay
            logger.warning("live event %s not delivered to %s; it stays replayable", event_id, topic, exc_info=True)


def publish(topics: Iterable[str], type: str, data: dict) -> LiveEvent:  # noqa: A002 - the contract's name
    """Record an event for these topics and deliver it after the surrounding transaction commits."""
    unique_topics = sorted({t for t in topics if t})
    with transaction.atomic():
        _serialise_commit_order()
        event = LiveEvent.objects.create(type=type, data=data, topics=unique_topics)
        LiveEventTopic.objects.bulk_create([LiveEventTopic(event=event, topic=t) for t in unique_topics])
    message = event.as_message()
    transaction.on_commit(lambda: _send(event.pk, message, unique_topics), robust=True)
    return event


def retention_cutoff():
    from django.utils import timezone

    return timezone.now() - settings.LIVE_EVENT_RETENTION
