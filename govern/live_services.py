"""Writes on the live road other than publish itself: retention, and system notices."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from govern.live import DISPATCH_TOPIC, is_valid_topic, publish, retention_cutoff
from govern.models import LiveEvent, LiveEventTopic, LiveOutboxState, User

NOTICE_LEVELS = ("info", "warning", "critical")
NOTICE_MAX_LENGTH = 500


def _raise_prune_mark(through: int) -> None:
    with transaction.atomic():
        LiveOutboxState.objects.get_or_create(pk=1)
        LiveOutboxState.objects.filter(pk=1).update(pruned_through=Greatest("pruned_through", through))


def live_events_prune(*, now=None, batch_size: int = 2000) -> int:
    """Delete events older than the retention window (LIVE_EVENT_RETENTION); returns how many.

    Deletes a prefix of ids (everything up to the newest expired id), so what stays is exactly
    "every event after the prune mark". The mark is raised and committed BEFORE anything is
    deleted: if this stops half-way, clients below the mark resync rather than miss events. Works
    in batches so that a large backlog never holds one long transaction.
    """
    boundary = LiveEvent.objects.filter(created_at__lt=retention_cutoff(now)).aggregate(last=Max("id"))["last"]
    if boundary is None:
        return 0
    _raise_prune_mark(boundary)
    return delete_events_through(boundary, batch_size=batch_size)


def delete_events_through(boundary: int, *, batch_size: int = 2000) -> int:
    """Delete every event with id <= boundary, in batches; the prune mark must cover it already."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                LiveEvent.objects.filter(id__lte=boundary).order_by("id").values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            LiveEventTopic.objects.filter(event_id__in=ids).delete()
            LiveEvent.objects.filter(id__in=ids).delete()
            deleted += len(ids)


@transaction.atomic
def notice_publish(
    *, topics: list[str], text: str, level: str = "info", sender: User | None = None, ref: str = ""
) -> LiveEvent:
    """A `system.notice` to these topics: a human message for the people on them (a storm
    warning to the dispatchers and grid workers, a maintenance window...). Pages show it as a
    banner; the /live/status/ page lists it.

    `ref` makes it idempotent: a second call with the same ref returns the first notice instead
    of sending another (the Celery task passes its task id, so a redelivery after a worker died
    between commit and ack does not show the notice twice)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the notice text."), field="text")
    if len(text) > NOTICE_MAX_LENGTH:
        raise InvalidInput(_("A notice is at most %(n)d characters.") % {"n": NOTICE_MAX_LENGTH}, field="text")
    if level not in NOTICE_LEVELS:
        raise InvalidInput(_("Level must be one of: %(levels)s.") % {"levels": ", ".join(NOTICE_LEVELS)}, field="level")
    topics = [t for t in dict.fromkeys(topics or []) if t]
    if not topics:
        topics = [DISPATCH_TOPIC]
    bad = [t for t in topics if not is_valid_topic(t)]
    if bad:
        raise InvalidInput(_("Unknown topic: %(topic)s.") % {"topic": bad[0]}, field="topics")
    data = {"text": text, "level": level, "sender": (sender.display_name or sender.username) if sender else None}
    if not ref:
        return publish(topics, "system.notice", data)
    with transaction.atomic():
        earlier = LiveEvent.objects.filter(type="system.notice", data__ref=ref).order_by("id").first()
        if earlier is not None:
            return earlier
        return publish(topics, "system.notice", {**data, "ref": ref})
