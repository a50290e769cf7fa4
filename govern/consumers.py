"""The one WebSocket endpoint, /ws/live/: joins the topics a user may see, replays, goes live."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from govern import live_access
from govern.live import topic_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        user = self.scope.get("user")
        track_codes = [c for raw in query.get("track", []) for c in raw.split(",") if c]
        requested = [t for raw in query.get("topics", []) for t in raw.split(",") if t]
        allowed = await database_sync_to_async(live_access.topics_for)(user, track_codes)
        if not allowed:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if requested and not set(requested) <= allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.topics = set(requested) if requested else allowed
        self.sent_ids: set[int] = set()
        for topic in self.topics:
            await self.channel_layer.group_add(topic_group(topic), self.channel_name)
        await self.accept()
        last_raw = (query.get("last_event_id") or [""])[0]
        if last_raw.isdigit():
            await self._replay(int(last_raw))

    async def _replay(self, last_event_id: int) -> None:
        messages = await database_sync_to_async(live_access.replay)(self.topics, last_event_id)
        if messages is None:
            await self.send_json({"type": "resync"})
            return
        for message in messages:
            self.sent_ids.add(message["id"])
            await self.send_json(message)

    async def disconnect(self, code):
        for topic in getattr(self, "topics", ()):
            await self.channel_layer.group_discard(topic_group(topic), self.channel_name)

    async def live_event(self, payload):
        message = payload["event"]
        if message["id"] in self.sent_ids:  # already replayed, or sent via another topic
            return
        self.sent_ids.add(message["id"])
        if len(self.sent_ids) > 5000:
            self.sent_ids = set(sorted(self.sent_ids)[-1000:])
        await self.send_json(message)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
