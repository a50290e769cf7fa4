"""Who may see which live topics, and replay of stored events (sync; the consumer wraps it)."""

from __future__ import annotations

from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, retention_cutoff, user_topic
from govern.models import LiveEvent, LiveEventTopic
from govern.roles import is_dispatcher

REPLAY_LIMIT = 5000


def topics_for(user, track_codes: list[str]) -> set[str]:
    """Every topic this connection may join. Knowing a tracking code is the capability to follow it."""
    topics = {hazard_topic(code) for code in track_codes if 4 <= len(code) <= 32 and code.isalnum()}
    if user is not None and getattr(user, "is_authenticated", False):
        topics.add(user_topic(user.pk))
        topics.update(grid_topic(gid) for gid in user.grids.values_list("id", flat=True))
        if is_dispatcher(user):
            topics.add(DISPATCH_TOPIC)
    return topics


def replay(topics: set[str], last_event_id: int) -> list[dict] | None:
    """Stored events after `last_event_id` on these topics, in order; None means "resync":
    the client's position is older than what we keep (or more than we will stream)."""
    oldest = LiveEvent.objects.filter(created_at__gte=retention_cutoff()).order_by("id").values_list("id", flat=True).first()
    newest = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if last_event_id > newest:
        return []
    if oldest is not None and last_event_id < oldest - 1 and LiveEvent.objects.filter(id__lte=last_event_id).exists() is False and last_event_id > 0:
        return None
    ids = (
        LiveEventTopic.objects.filter(topic__in=topics, event_id__gt=last_event_id)
        .values_list("event_id", flat=True)
        .distinct()
        .order_by("event_id")[: REPLAY_LIMIT + 1]
    )
    ids = list(ids)
    if len(ids) > REPLAY_LIMIT:
        return None
    return [event.as_message() for event in LiveEvent.objects.filter(id__in=ids).order_by("id")]
