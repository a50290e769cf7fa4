"""govern's own Prometheus metrics, next to django-prometheus' request metrics at `/metrics`.

Each server process answers for itself (scrape every uvicorn instance's port); the gauges read
from the database or Redis are the same in every process. Read at scrape time:

- `govern_live_sockets_open`: WebSockets open in this process;
- `govern_live_outbox_events`: live events kept for replay (the outbox; pruned after
  LIVE_EVENT_RETENTION_DAYS);
- `govern_task_outbox_pending`: Celery tasks committed but not yet handed to the broker
  (govern.task_outbox; grows while the broker is down);
- `govern_celery_queue_length`: messages waiting in the broker's default queue (work not yet
  picked up by a worker);
- gauges apps register (`register_gauge`): `hazards.metrics` adds photos waiting to be processed.
- `govern_notifications_queued`: notifications written but not yet sent, per channel (waiting,
  deferred by quiet hours or retrying after a provider error; grows while delivery is stuck).

Apps add theirs in a `metrics` module (found like admin modules) with `register_gauge(name,
documentation, read)`; `read()` returns a number, or a dict {label value: number} for a gauge
with one label. A failing read is logged and left out of that scrape, never a failed scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import REGISTRY, Gauge
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

live_sockets_open = Gauge("govern_live_sockets_open", "WebSockets open in this server process")


@dataclass
class _Source:
    documentation: str
    read: Callable[[], float | dict[str, float]]
    label: str = ""


_sources: dict[str, _Source] = {}


def register_gauge(name: str, documentation: str, read: Callable, *, label: str = "") -> None:
    """A gauge read at scrape time (idempotent: a module imported twice registers once)."""
    _sources[name] = _Source(documentation, read, label)


class _GovernCollector:
    def collect(self):
        _discover()
        for name, source in sorted(_sources.items()):
            try:
                value = source.read()
            except Exception as exc:
                logger.warning("metric %s not read: %s", name, exc)
                continue
            if isinstance(value, dict):
                family = GaugeMetricFamily(name, source.documentation, labels=[source.label or "kind"])
                for label_value, number in sorted(value.items()):
                    family.add_metric([str(label_value)], float(number))
            else:
                family = GaugeMetricFamily(name, source.documentation, value=float(value))
            yield family

    def describe(self):
        return []  # no describe at registration: collect() reads the database


_discovered = False


def _discover() -> None:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("metrics")
        _discovered = True


def _live_outbox_events() -> int:
    from govern.models import LiveEvent

    return LiveEvent.objects.count()


def _task_outbox_pending() -> int:
    from govern.models import PendingTask

    return PendingTask.objects.count()


def _celery_queue_length() -> dict[str, int]:
    from django.conf import settings

    if not getattr(settings, "REDIS_URL", ""):
        return {}
    import redis

    from govern.celery import app

    queue = app.conf.task_default_queue
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return {queue: client.llen(queue)}
    finally:
        client.close()


def _notifications_queued() -> dict[str, int]:
    from django.db.models import Count

    from govern.models import Channel, Notification, NotificationStatus

    queued = dict(
        Notification.objects.filter(status=NotificationStatus.PENDING)
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {channel: queued.get(channel, 0) for channel in Channel.values}


register_gauge("govern_live_outbox_events", "Live events kept for replay in the outbox", _live_outbox_events)
register_gauge(
    "govern_task_outbox_pending", "Celery tasks committed but not yet handed to the broker", _task_outbox_pending
)
register_gauge(
    "govern_celery_queue_length", "Messages waiting in the Celery broker queue", _celery_queue_length, label="queue"
)

register_gauge(
    "govern_notifications_queued", "Notifications not yet sent, per channel", _notifications_queued, label="channel"
)

REGISTRY.register(_GovernCollector())
