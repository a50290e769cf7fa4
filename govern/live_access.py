"""Who may see which live topics, and reads of the outbox (sync; the consumer wraps them).

Positions. A client's position N means "I have every event I may see with id <= N". Events
commit in id order (govern.live), so the answer to "what after N?" is complete as soon as it is
read. Retention deletes a prefix of ids and records its end, `pruned_through` (P):

- N < P: events after N may have been pruned, we cannot tell which: resync;
- N > head (the newest id, or P when the table is empty): the position comes from another history
  (a restored or reset database, a made-up number): resync;
- more than LIVE_REPLAY_LIMIT events to send: reloading the page is cheaper: resync;
- otherwise: every stored event after N on the connection's topics, in id order.

A resync tells the client to rebuild its state (a page reloads); the socket then continues live
from `head`, whose value the resync message carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from govern import conf
from govern.live import (
    DISPATCH_TOPIC,
    TRACKING_CODE_RE,
    grid_topic,
    hazard_topic,
    is_valid_topic,
    pruned_through,
    user_topic,
)
from govern.models import LiveEvent, LiveEventTopic
from govern.roles import is_dispatcher

MAX_TRACK_CODES = 50


class TopicRefusedError(Exception):
    """The connection asked for something it may not have; `code` is the websocket close code."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def topics_for(user, track_codes: list[str]) -> set[str]:
    """Every topic this connection may join. Knowing a tracking code is the capability to follow
    it (codes are unguessable); anything else needs a signed-in user."""
    topics = {hazard_topic(code) for code in track_codes if TRACKING_CODE_RE.match(code)}
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        topics.add(user_topic(user.pk))
        topics.update(grid_topic(gid) for gid in user.grids.values_list("id", flat=True))
        if is_dispatcher(user):
            topics.add(DISPATCH_TOPIC)
    return topics


def authorize(user, track_codes: list[str], requested: list[str]) -> set[str]:
    """The topics to join, or TopicRefusedError: 4401 for an anonymous connection that follows no
    tracking code, 4403 for a malformed code or a requested topic this user may not see."""
    authenticated = user is not None and getattr(user, "is_authenticated", False) and user.is_active
    if not authenticated and not track_codes:
        raise TopicRefusedError(CLOSE_UNAUTHENTICATED, "sign in, or name a tracking code with ?track=")
    if len(track_codes) > MAX_TRACK_CODES:
        raise TopicRefusedError(CLOSE_FORBIDDEN, f"at most {MAX_TRACK_CODES} tracking codes")
    bad_codes = [code for code in track_codes if not TRACKING_CODE_RE.match(code)]
    if bad_codes:
        raise TopicRefusedError(CLOSE_FORBIDDEN, "malformed tracking code")
    allowed = topics_for(user, track_codes)
    if not requested:
        return allowed
    refused = [t for t in requested if not is_valid_topic(t) or t not in allowed]
    if refused:
        raise TopicRefusedError(CLOSE_FORBIDDEN, "topic not allowed: " + ", ".join(sorted(refused))[:80])
    return set(requested)


@dataclass
class Batch:
    """What a socket sends after position `after`: `events` in id order, then it stands at `head`
    (every event it may see up to `head` is in `events` or at/below `after`)."""

    events: list[dict] = field(default_factory=list)
    head: int = 0
    resync: bool = False


def head() -> int:
    newest = LiveEvent.objects.aggregate(newest=Max("id"))["newest"]
    return newest if newest is not None else pruned_through()


def read_after(topics: set[str], after: int, limit: int | None = None) -> Batch:
    """Stored events after `after` on these topics (see the module docstring for resync)."""
    limit = conf.live_replay_limit() if limit is None else limit
    # Order matters: head first (everything up to it is committed, so the query below sees it),
    # the prune mark last (a prune that raced the query shows up there and we answer resync).
    newest = head()
    rows = list(
        LiveEvent.objects.filter(
            id__gt=after,
            id__in=LiveEventTopic.objects.filter(topic__in=topics, event_id__gt=after).values("event_id"),
        ).order_by("id")[: limit + 1]
    )
    mark = pruned_through()
    newest = max(newest, mark, rows[-1].pk if rows else 0)
    if after < mark or after > newest or len(rows) > limit:
        return Batch(head=newest, resync=True)
    return Batch(events=[row.as_message() for row in rows], head=newest)


@dataclass
class Scan:
    """One process-wide look at the outbox after `after`: (id, topics) of each event up to `head`."""

    rows: list[tuple[int, list[str]]]
    head: int
    pruned_through: int


def scan_after(after: int, limit: int) -> Scan:
    newest = head()
    rows = list(
        LiveEvent.objects.filter(id__gt=after, id__lte=newest).order_by("id").values_list("id", "topics")[:limit]
    )
    if len(rows) == limit:  # a partial scan: the next one continues from here
        newest = rows[-1][0]
    return Scan(
        rows=[(event_id, list(topics)) for event_id, topics in rows], head=newest, pruned_through=pruned_through()
    )


def messages(ids: list[int]) -> list[dict]:
    return [event.as_message() for event in LiveEvent.objects.filter(id__in=ids).order_by("id")]


def recent_events(topics: set[str], limit: int = 50) -> list[dict]:
    """The newest stored events on these topics, newest first (the live status page)."""
    rows = LiveEvent.objects.filter(id__in=LiveEventTopic.objects.filter(topic__in=topics).values("event_id")).order_by(
        "-id"
    )[:limit]
    return [dict(row.as_message(), topics=row.topics, created_at=row.created_at) for row in rows]
