"""The one road out for live events (docs/events.md documents the envelope, topics and types).

`publish()` writes a LiveEvent row (and its topic rows) in the caller's transaction and, once that
transaction commits, sends it to each topic's channel-layer group. Because the row is written
first, a client that was offline replays it later from `/ws/live/?last_event_id=N`; if the
channel layer is down the request still succeeds and the event waits in the outbox, where the
socket servers' periodic scan and every replay find it.

Two guarantees the consumer (govern.consumers) builds on:

- commit order == id order: publishers serialise on a transaction-scoped lock, so once event N is
  visible every event below N is either visible too or will never exist;
- every group message carries `prev`, the newest event id that existed when this one was written:
  a socket that has delivered everything up to `prev` may deliver this event at once, without
  asking the database whether it missed something in between.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from govern import conf
from govern.models import LiveEvent, LiveEventTopic, LiveOutboxState
from govern.pipeline import read_after_sync

try:
    from redis.exceptions import ConnectionError as _RedisConnectionError
    from redis.exceptions import TimeoutError as _RedisTimeoutError
except ImportError:  # pragma: no cover - redis is a dependency
    _RedisConnectionError = _RedisTimeoutError = OSError

logger = logging.getLogger(__name__)

# Failures that only mean "the channel layer cannot be reached right now" (Redis restarting or
# away): expected during an outage, logged as one line each, never as a traceback.
LAYER_UNREACHABLE: tuple[type[BaseException], ...] = (
    _RedisConnectionError,
    _RedisTimeoutError,
    OSError,
    asyncio.TimeoutError,
)

# Any constant works; it only has to be the same for every publisher.
_PUBLISH_LOCK_KEY = 0x60FE12

DISPATCH_TOPIC = "dispatch"

# Tracking codes are made by the hazards app; the kernel only bounds their shape so that a topic
# is always a safe, short group name.
TRACKING_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{4,40}$")
TOPIC_RE = re.compile(r"^(?:user:[1-9]\d{0,17}|grid:[1-9]\d{0,17}|dispatch|hazard:[A-Za-z0-9_-]{4,40})$")
EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def grid_topic(grid_id: int) -> str:
    return f"grid:{grid_id}"


def hazard_topic(tracking_code: str) -> str:
    return f"hazard:{tracking_code}"


def is_valid_topic(topic: str) -> bool:
    return bool(TOPIC_RE.match(topic))


def topic_group(topic: str) -> str:
    """Channel-layer group names allow only [a-zA-Z0-9_.-]; topics use ':' as separator.

    Valid topics map one-to-one (':' is the only character replaced and appears once, at a fixed
    place), so two topics never share a group."""
    return "live." + topic.replace(":", ".")


def retention_cutoff(now=None):
    return (now or timezone.now()) - conf.live_event_retention()


def pruned_through() -> int:
    """Every event with an id <= this may have been pruned (0: nothing ever was)."""
    return LiveOutboxState.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0


def current_event_id() -> int:
    """The position a page embeds in `<body data-last-event-id>`: every event up to it exists
    in what the caller reads next. Call it BEFORE reading the page's data, so that an event
    committed in between is replayed rather than lost (replaying an event the page already
    shows is harmless: handlers apply state, they do not count)."""
    newest = LiveEvent.objects.aggregate(newest=Max("id"))["newest"]
    # Retained ids are all above the prune mark, so only an empty table needs the mark.
    return newest if newest is not None else pruned_through()


def serialise_commit_order() -> None:
    """Make commit order equal id order, so "every event after N" never skips a late commit.

    PostgreSQL hands out ids at insert time; two concurrent transactions could commit in the
    opposite order, and a client resuming from the higher id would never see the lower one.
    A transaction-scoped advisory lock taken before the insert closes that window; it is held
    until the caller's transaction ends, so services publish as late as they can. SQLite
    already serialises writers (IMMEDIATE transactions).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PUBLISH_LOCK_KEY])


def _insert_in_one_statement(checked: list[tuple[list[str], str, dict]]) -> tuple[list[LiveEvent], Callable[[], int]]:
    """PostgreSQL: the newest id, the events and their topic rows in ONE statement.

    Everything between the publish lock and the commit is a wait for every other publisher in
    the city, and on a busy machine each round trip in that window costs a scheduling delay, not
    just the network: the ORM took three (newest id, events, topic rows), this takes one. The
    statement starts after the lock is granted, so its snapshot (READ COMMITTED) sees every
    event committed before; ids are drawn in the input order (ORDER BY ordinality).

    Returns the events and a function that reads the statement's answer, fills in their ids and
    returns the newest id before them. Inside `pipelined()` nothing is read here: the answer
    comes with the next read or the COMMIT (the ids are filled in at the end of the block at the
    latest), so a transaction that commits inside the pipeline sends the lock, this statement and
    the COMMIT in one round trip and holds the publish lock only while the server runs them.
    """
    now = timezone.now()
    event_table = connection.ops.quote_name(LiveEvent._meta.db_table)
    topic_table = connection.ops.quote_name(LiveEventTopic._meta.db_table)
    cursor = connection.cursor()
    cursor.execute(
        f"""
        WITH new AS (
            INSERT INTO {event_table} (type, data, topics, created_at)
            SELECT e.type, e.data::jsonb, e.topics::jsonb, %s
            FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS e(type, data, topics, n)
            ORDER BY e.n
            RETURNING id, topics
        ), topic_rows AS (
            INSERT INTO {topic_table} (event_id, topic)
            SELECT new.id, jsonb_array_elements_text(new.topics) FROM new
        )
        SELECT (SELECT COALESCE(MAX(id), 0) FROM {event_table}), ARRAY(SELECT id FROM new ORDER BY id)
        """,
        [
            now,
            [type_ for _tops, type_, _data in checked],
            [json.dumps(data) for _tops, _type, data in checked],
            [json.dumps(tops) for tops, _type, _data in checked],
        ],
    )
    created = []
    for tops, type_, data in checked:
        event = LiveEvent(type=type_, data=data, topics=tops, created_at=now)
        event._state.adding, event._state.db = False, connection.alias
        created.append(event)
    answer: list[int] = []

    def read() -> int:
        if not answer:
            try:
                prev, ids = cursor.fetchone()
            finally:
                cursor.close()
            for event, pk in zip(created, ids, strict=True):
                event.id = pk
            answer.append(prev)
        return answer[0]

    read_after_sync(read)  # at once, or when the pipeline has the answer (before the commit's hooks)
    return created, read


async def _group_send_all(layer, groups: list[str], payload: dict, timeout: float) -> list[str]:
    failed = []
    for group in groups:
        try:
            await asyncio.wait_for(layer.group_send(group, payload), timeout)
        except LAYER_UNREACHABLE as exc:  # the outbox row stays; clients get it from the scan or on replay
            logger.warning(
                "live event %s not sent to %s (%s: %s); it stays replayable",
                payload["event"]["id"],
                group,
                type(exc).__name__,
                exc,
            )
            failed.append(group)
        except Exception:
            logger.warning(
                "live event %s not sent to %s; it stays replayable", payload["event"]["id"], group, exc_info=True
            )
            failed.append(group)
    return failed


class _SenderLoop:
    """One long-lived event loop thread per process for publishing to a network channel layer.

    channels_redis keeps its connections per event loop; `async_to_sync` from plain sync code (a
    Celery worker, a management command, a request thread) would start a fresh loop, and so a
    fresh Redis connection, for every publish (~5 ms). Reusing one loop reuses the connection.
    Restarted after a fork (Celery's prefork pool), where the thread does not survive.

    The publisher waits for its sends only briefly (LIVE_SEND_WAIT, 0.1 s): normally they are
    done in a few milliseconds, and waiting (with the GIL released) lets this thread run them at
    once instead of competing with the request's own work, which delayed events under load
    (bench: live latency p95 1.6 → 11 ms when not waiting at all). A slow or hung Redis delays
    a response by that bound, not by a timeout per topic; the send finishes or gives up in the
    background, and the outbox scan and replays deliver what was not sent. Sends run one at a
    time in the order they were handed over, so each group receives a process's events in commit
    order. At exit the process waits a moment for the sends still under way.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._order: asyncio.Lock | None = None
        self._pid: int | None = None
        self._pending: set[concurrent.futures.Future] = set()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="govern-live-sender", daemon=True).start()
                self._loop, self._pid, self._order = loop, os.getpid(), None
                self._pending = set()
            return self._loop

    async def _in_order(self, coroutine):
        if self._order is None:  # created on the loop's own thread
            self._order = asyncio.Lock()
        async with self._order:  # FIFO: tasks start, and so queue here, in hand-over order
            return await coroutine

    def submit(self, coroutine) -> concurrent.futures.Future | None:
        """Hand a send over; None when too many are queued already (a hung channel layer: each
        send waits its timeout in turn), so an outage cannot pile sends up without bound. A
        dropped send's event stays in the outbox for the scan and for replays."""
        loop = self._ensure()
        with self._lock:
            if len(self._pending) >= MAX_PENDING_SENDS:
                coroutine.close()
                return None
            future = asyncio.run_coroutine_threadsafe(self._in_order(coroutine), loop)
            self._pending.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: concurrent.futures.Future) -> None:
        with self._lock:
            self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            logger.warning("live send failed; the event stays replayable", exc_info=future.exception())

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the sends under way; True when none is left."""
        with self._lock:
            pending = set(self._pending) if self._pid == os.getpid() else set()
        _done, not_done = concurrent.futures.wait(pending, timeout=timeout)
        return not not_done


# Sends queued per process at most (see _SenderLoop.submit).
MAX_PENDING_SENDS = 1000

_sender = _SenderLoop()


def drain_sends(timeout: float | None = None) -> bool:
    """Wait for this process's live sends still under way (tests; process exit)."""
    return _sender.drain(conf.live_send_timeout() * 3 + 1 if timeout is None else timeout)


atexit.register(drain_sends)


def _send(message: dict, topics: list[str], prev: int) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        payload = {"type": "live.event", "event": message, "topics": topics, "prev": prev}
        groups = [topic_group(t) for t in topics]
        timeout = conf.live_send_timeout()
        if isinstance(layer, InMemoryChannelLayer):
            # In-process queues belong to the consumers' loop: send from it (async_to_sync goes
            # back to the server's loop when called from a request thread).
            async_to_sync(_group_send_all)(layer, groups, payload, timeout)
        else:
            future = _sender.submit(_group_send_all(layer, groups, payload, timeout))
            if future is None:
                logger.warning("live event %s not sent now (too many sends queued); it stays replayable", message["id"])
            else:
                concurrent.futures.wait([future], conf.live_send_wait())
    except Exception:  # never fail the request that already committed
        logger.warning("live event %s not sent; it stays replayable", message["id"], exc_info=True)


def _checked(topics: Iterable[str], type: str, data: dict) -> list[str]:  # noqa: A002
    unique_topics = sorted({t for t in topics if t})
    if not EVENT_TYPE_RE.match(type or ""):
        raise ValueError(f"live event type {type!r} is not <noun>.<verb>")
    if not unique_topics:
        raise ValueError("a live event needs at least one topic")
    bad = [t for t in unique_topics if not is_valid_topic(t)]
    if bad:
        raise ValueError(f"unknown live topic(s): {', '.join(bad)}")
    if not isinstance(data, dict):
        raise ValueError("live event data must be a JSON object")
    return unique_topics


# (wants(types) -> bool, record(events)) pairs called inside publish_many's transaction with the
# events just written. govern.notify registers itself in GovernConfig.ready (the live road does
# not import what rides on it).
_WRITE_HOOKS: list[tuple[Callable[[list[str]], bool], Callable[[list[LiveEvent]], object]]] = []


def on_events_written(wants: Callable[[list[str]], bool], record: Callable[[list[LiveEvent]], object]) -> None:
    if (wants, record) not in _WRITE_HOOKS:
        _WRITE_HOOKS.append((wants, record))


def publish(topics: Iterable[str], type: str, data: dict) -> LiveEvent:  # noqa: A002 - the contract's name
    """Record an event for these topics and deliver it after the surrounding transaction commits.

    `type` is `<noun>.<verb>`; `data` a JSON object documented in docs/events.md. Raises
    ValueError for a malformed type or topic, or no topic at all (a programming error).
    """
    return publish_many([(topics, type, data)])[0]


def publish_many(events: Iterable[tuple[Iterable[str], str, dict]]) -> list[LiveEvent]:
    """`publish()` for several events of one transaction, in this order: one lock, one read of
    the newest id, one insert of the events and one of their topic rows (instead of five to
    six statements per event). Services that write more than one event on a hot path use it to
    shorten the time they hold the publish lock, which every publisher waits for."""
    checked = [(_checked(topics, type_, data), type_, data) for topics, type_, data in events]
    if not checked:
        return []
    # No savepoint of its own inside the caller's transaction (two statements fewer while the
    # lock is held): a failure here is a database error that fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        # Under the lock nothing can commit between this read and our insert.
        if connection.vendor == "postgresql":
            serialise_commit_order()  # inside a pipeline, sent with the insert: one round trip
            created, read_prev = _insert_in_one_statement(checked)
        else:
            serialise_commit_order()
            prev = LiveEvent.objects.aggregate(newest=Max("id"))["newest"] or 0
            created = LiveEvent.objects.bulk_create([LiveEvent(type=t, data=d, topics=tops) for tops, t, d in checked])
            LiveEventTopic.objects.bulk_create(
                [
                    LiveEventTopic(event=event, topic=topic)
                    for event, (tops, _t, _d) in zip(created, checked, strict=True)
                    for topic in tops
                ]
            )

            def read_prev() -> int:
                return prev

        # What must be written next to the events, in this transaction (govern.notify's rows):
        # the hooks need the events' ids, read now on PostgreSQL (one sync of a pipeline, only
        # for the few event types a hook wants).
        types = [type_ for _tops, type_, _data in checked]
        hooks = [record for wants, record in _WRITE_HOOKS if wants(types)]
        if hooks:
            read_prev()
            for record in hooks:
                record(created)

    def deliver() -> None:
        # Each event's `prev` is the one before it: the newest id at the lock, then this batch's own.
        prev = read_prev()  # the ids are known by now (committed), pipelined or not
        for event, (tops, _t, _d) in zip(created, checked, strict=True):
            _send(event.as_message(), tops, prev)
            prev = event.pk

    transaction.on_commit(deliver, robust=True)
    return created
