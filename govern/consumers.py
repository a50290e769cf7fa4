"""The one WebSocket endpoint, /ws/live/: joins the topics a user may see, replays, goes live.

Query parameters: `track=<code>[,<code>...]` (hazards to follow; all an anonymous client may
join), `topics=<topic>[,...]` (a subset of the allowed topics; default all), `last_event_id=N`
(replay every event after N first), `token=<key>` (see govern.ws_auth).

Every event the socket sends has an id above the one before it, and no event the user may see
is skipped: a client's "last id seen" is always a correct place to resume from. How:

- `cursor`: every event this socket may see with an id <= cursor has been sent. Connecting sets
  it from the replay (govern.live_access.read_after), which runs after the groups are joined, so
  nothing committed in between is missed; a live event at or below it is a duplicate and dropped.
- A live event whose `prev` (the newest id when it was written) is <= cursor is next in line and
  goes straight out. Otherwise something may have been lost or overtaken on the way (another
  process's publish not yet arrived, a send that failed): the socket reads the outbox after its
  cursor and sends what it finds, in order. In a quiet system this never queries the database.
- One task per server process scans the outbox every LIVE_SYNC_INTERVAL seconds (one query for
  all its sockets), delivers what the channel layer did not (layer down, group membership
  expired, a publisher in another process in embedded mode), advances every cursor, and
  periodically re-checks each socket's user and topics.
- Ids carry their stream epoch (govern.live_epoch): an event of another epoch than the cursor's
  means the database was restored; the socket reads the outbox, stands below the prune mark and
  answers resync.

When the channel layer itself fails under a socket (Redis restarted or unreachable), the socket is
closed with 1012 (service restart) and one WARNING line, not a traceback per socket: the client
reconnects with its last id and the replay gives it what it missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.contrib.auth.models import AnonymousUser

from govern import conf, live_access
from govern.live import LAYER_UNREACHABLE, topic_group
from govern.live_access import CLOSE_BAD_REQUEST, CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, TopicRefusedError
from govern.live_epoch import epoch_of
from govern.metrics import live_sockets_open
from govern.ws_auth import user_for_session, user_for_token

logger = logging.getLogger(__name__)

SCAN_LIMIT = 2000
GROUP_TIMEOUT = 5.0
CLOSE_SERVICE_RESTART = 1012  # RFC 6455 registry: "the server is restarting", reconnect


class _LayerWarnings:
    """At most one WARNING per process every 10 s about the layer, with how many sockets it closed:
    an outage under a thousand sockets is one line every 10 s, not a thousand."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self.last = -every
        self.closed = 0

    def closed_socket(self, exc: BaseException) -> None:
        self.closed += 1
        now = time.monotonic()
        if now - self.last >= self.every:
            logger.warning(
                "live: channel layer unreachable (%s: %s); closed %d socket(s) with 1012, clients resume by replay",
                type(exc).__name__,
                exc,
                self.closed,
            )
            self.last, self.closed = now, 0


_layer_warnings = _LayerWarnings()


def _split(values: list[str] | None) -> list[str]:
    return [item.strip() for raw in values or [] for item in raw.split(",") if item.strip()]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        """Channels' consumer loop, with the channel layer's receive guarded (see `_layer_receive`).
        A failed receive would otherwise end the consumer with an exception: a traceback in the
        server's log and an abnormal close (1011) for the client, every ~5 s per process while
        Redis is away."""
        self._layer_failed = self._counted = self._closed = self._accepted = False
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is None:
            return await super().__call__(scope, receive, send)
        self.scope = scope
        self.base_send = send
        try:
            self.channel_name = await self.channel_layer.new_channel()
            await await_many_dispatch([receive, self._layer_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            if self._counted:
                live_sockets_open.dec()
                self._counted = False

    async def _layer_receive(self):
        if self._layer_failed:  # reported once; wait for the client's disconnect
            await asyncio.Event().wait()
        try:
            return await self.channel_layer.receive(self.channel_name)
        except LAYER_UNREACHABLE as exc:
            self._layer_failed = True
            return {"type": "live.layer_lost", "error": exc}

    async def live_layer_lost(self, message):
        _layer_warnings.closed_socket(message["error"])
        if self._closed:  # refused already, or the client has left
            return
        self._closed = True
        await self._close_quietly(CLOSE_SERVICE_RESTART)

    async def _close_quietly(self, code: int) -> None:
        """Close, unless the client has just left: the server then refuses the close like any send
        (see send_json), which only means there is nothing left to close."""
        try:
            await self.close(code=code)
        except (RuntimeError, OSError) as exc:
            if isinstance(exc, RuntimeError) and "Unexpected ASGI message" not in str(exc):
                raise
            logger.debug("live socket gone before its close: %s", exc)

    async def connect(self):
        self.topics: set[str] = set()
        self.cursor: int | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._accepted = False
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        auth_kind, _ = self.scope.get("live_auth", ("anonymous", None))
        if auth_kind == "bad_token":
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        last_raw = (query.get("last_event_id") or [None])[0]
        if last_raw is not None and last_raw != "" and not (last_raw.isdigit() and len(last_raw) <= 18):
            await self._refuse(CLOSE_BAD_REQUEST)
            return
        self._track = _split(query.get("track"))
        self._requested = _split(query.get("topics"))
        try:
            topics = await database_sync_to_async(live_access.authorize)(
                self.scope.get("user"), self._track, self._requested
            )
        except TopicRefusedError as refused:
            await self._refuse(refused.code)
            return
        # Join before reading the outbox: an event committed after the read arrives through the
        # group; one committed before is in the read. Live messages wait in the channel until
        # connect() returns, and the cursor then drops what the replay already sent.
        await self._join(topics)
        self.topics = topics
        self._authorized_at = time.monotonic()
        if last_raw:
            batch = await database_sync_to_async(live_access.read_after)(self.topics, int(last_raw))
        else:  # no position: live from now on
            batch = live_access.Batch(head=await database_sync_to_async(live_access.head)())
        # Accept only now, so a client (or test) that sees the socket open is already subscribed.
        await self.accept()
        self._accepted = True
        live_sockets_open.inc()
        self._counted = True
        async with self._lock:
            await self._send_batch(batch)
        _watcher().add(self)

    async def send_json(self, content, close=False):
        """Send, unless the client has gone: a phone that drops off can close the socket while an
        event or the outbox scan is on its way to it, before `disconnect` has run here. The
        server then refuses the send (uvicorn: RuntimeError "Unexpected ASGI message", or
        ClientDisconnected); that only means the socket is gone, so it is marked closed and later
        sends are skipped. The client resumes from its last id when it comes back."""
        if self._closed and not close:
            return
        try:
            await super().send_json(content, close)
        except (RuntimeError, OSError) as exc:
            if isinstance(exc, RuntimeError) and "Unexpected ASGI message" not in str(exc):
                raise
            logger.debug("live socket gone before its disconnect: %s", exc)
            self._closed = True

    async def _refuse(self, code: int) -> None:
        # Accept, then close: the client sees the close code (4401/4403), which a browser never
        # sees when the handshake itself is refused.
        self._closed = True
        if not self._accepted:
            await self.accept()
            self._accepted = True
        await self._close_quietly(code)

    async def disconnect(self, code):
        self._closed = True
        watcher = _watchers.get(asyncio.get_running_loop())
        if watcher is not None:
            watcher.remove(self)
        await self._leave(getattr(self, "topics", set()))

    # --- groups ---------------------------------------------------------------------------------

    async def _join(self, topics) -> None:
        # A layer that is down must not cost the socket: the process's scan still delivers.
        for topic in topics:
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_add(topic_group(topic), self.channel_name), GROUP_TIMEOUT
                )
            except LAYER_UNREACHABLE as exc:
                logger.warning("could not join live group for %s (%s); the outbox scan will deliver", topic, exc)
            except Exception:
                logger.warning("could not join live group for %s; the outbox scan will deliver", topic, exc_info=True)

    async def _leave(self, topics) -> None:
        for topic in topics:
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_discard(topic_group(topic), self.channel_name), GROUP_TIMEOUT
                )
            except LAYER_UNREACHABLE as exc:  # the membership expires by itself (channels_redis)
                logger.info("could not leave live group for %s: %s", topic, exc)
            except Exception:
                logger.warning("could not leave live group for %s", topic, exc_info=True)

    # --- delivery (always under self._lock, so sends stay in id order) ---------------------------

    async def _send_batch(self, batch: live_access.Batch) -> None:
        if batch.resync:
            await self.send_json({"type": "resync", "last_event_id": batch.head})
        else:
            for message in batch.events:
                await self.send_json(message)
        self.cursor = max(self.cursor or 0, batch.head)

    async def _catch_up(self) -> None:
        await self._send_batch(await database_sync_to_async(live_access.read_after)(self.topics, self.cursor))

    async def live_event(self, payload):
        """A channel-layer message from govern.live.publish."""
        event = payload["event"]
        async with self._lock:
            if self._closed or self.cursor is None or event["id"] <= self.cursor:
                return
            if not self.topics.intersection(payload.get("topics", ())):
                return  # a group we just left
            if epoch_of(event["id"]) != epoch_of(self.cursor):
                await self._catch_up()  # a restored database: the outbox answers resync
            elif payload.get("prev", event["id"]) <= self.cursor:
                await self.send_json(event)
                self.cursor = event["id"]
            else:
                await self._catch_up()

    async def apply_scan(self, after: int, scan: live_access.Scan) -> None:
        """The process's outbox scan covered (after, scan.head]: send what this socket lacks."""
        async with self._lock:
            if self._closed or self.cursor is None:
                return
            if self.cursor < after or self.cursor < scan.pruned_through:
                await self._catch_up()  # the scan does not reach back far enough for this socket
            else:
                wanted = [
                    event_id
                    for event_id, topics in scan.rows
                    if event_id > self.cursor and self.topics.intersection(topics)
                ]
                if wanted:
                    found = await database_sync_to_async(live_access.messages)(wanted)
                    if len(found) != len(wanted):  # pruned meanwhile: let read_after decide
                        await self._catch_up()
                        return
                    for message in found:
                        await self.send_json(message)
                        self.cursor = message["id"]
                self.cursor = max(self.cursor, scan.head)
        if time.monotonic() - self._authorized_at >= conf.live_reauthorize_interval():
            await self._reauthorize()

    async def _reauthorize(self) -> None:
        """Re-check a long-lived socket: credentials still valid, topics still allowed. Topics
        gained (a grid assigned) are joined; a topic lost closes the socket with 4403 so the page
        reloads into what the user may see now. Refreshes channel-layer group memberships too,
        which expire (channels_redis: one day)."""
        self._authorized_at = time.monotonic()
        kind, key = self.scope.get("live_auth", ("anonymous", None))
        user = self.scope.get("user")
        if kind == "token":
            user = await user_for_token(key) or AnonymousUser()
        elif kind == "session":
            fresh = await user_for_session(key)
            user = fresh if getattr(fresh, "pk", None) == getattr(user, "pk", None) else AnonymousUser()
        if kind in ("token", "session") and not getattr(user, "is_authenticated", False):
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        try:
            topics = await database_sync_to_async(live_access.authorize)(user, self._track, self._requested)
        except TopicRefusedError as refused:
            await self._refuse(refused.code)
            return
        if self.topics - topics:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        await self._join(topics)
        async with self._lock:
            self.topics = topics

    # --- client messages ---------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data:  # binary frames and bad JSON are ignored, not fatal
            try:
                content = json.loads(text_data)
            except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
                return
            await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


class _OutboxWatcher:
    """One per event loop, i.e. per server process: the periodic outbox scan for its sockets."""

    def __init__(self):
        self.consumers: set[LiveConsumer] = set()
        self.after: int | None = None
        self.task: asyncio.Task | None = None

    def add(self, consumer: LiveConsumer) -> None:
        self.consumers.add(consumer)
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())

    def remove(self, consumer: LiveConsumer) -> None:
        self.consumers.discard(consumer)
        if not self.consumers:
            if self.task is not None:
                self.task.cancel()
            _watchers.pop(asyncio.get_running_loop(), None)

    async def _run(self) -> None:
        while self.consumers:
            await asyncio.sleep(conf.live_sync_interval())
            try:
                await self.tick()
            except Exception:
                logger.warning("live outbox scan failed; retrying next interval", exc_info=True)

    async def tick(self) -> None:
        consumers = [c for c in self.consumers if c.cursor is not None]
        if not consumers:
            return
        after = self.after if self.after is not None else min(c.cursor for c in consumers)
        scan = await database_sync_to_async(live_access.scan_after)(after, SCAN_LIMIT)
        results = await asyncio.gather(*(c.apply_scan(after, scan) for c in consumers), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                logger.warning("live socket sync failed", exc_info=result)
        self.after = scan.head


_watchers: dict[asyncio.AbstractEventLoop, _OutboxWatcher] = {}


def _watcher() -> _OutboxWatcher:
    loop = asyncio.get_running_loop()
    watcher = _watchers.get(loop)
    if watcher is None:
        watcher = _watchers[loop] = _OutboxWatcher()
    return watcher
