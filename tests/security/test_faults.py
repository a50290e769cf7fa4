"""Faults: the channel layer's Redis unreachable while residents report; clients that come back
get every event from the outbox (replay by ?last_event_id=).

The layer here is a real channels_redis layer pointed at a closed port (never the machine's Redis,
which other processes share), so the failure is the real one: connection refused.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from rest_framework.test import APIClient

from govern.live import DISPATCH_TOPIC
from govern.models import LiveEvent
from govern.roles import DISPATCHER
from tests.factories import UserFactory, make_grid
from tests.govern.live_helpers import fresh_channel_layer, open_socket, quiet, receive_events, session_cookie
from tests.hazards.images import jpeg_bytes, upload
from tests.security.summary import record

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

DEAD_REDIS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"], "capacity": 10, "expiry": 5},
    }
}
MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _world():
    from hazards.demo import seed_categories, seed_rules

    seed_rules(seed_categories())
    grid = make_grid(west=120.80, south=30.90)
    return grid, UserFactory(roles=[DISPATCHER])


def _report_while_redis_is_down(grid, n: int) -> tuple[int, list[int]]:
    before = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    fresh_channel_layer()
    statuses = []
    with override_settings(CHANNEL_LAYERS=DEAD_REDIS):
        from channels.layers import get_channel_layer
        from channels_redis.core import RedisChannelLayer

        assert isinstance(get_channel_layer(), RedisChannelLayer)
        for i in range(n):
            form = {
                "category": "gas-safety",
                "description": f"redis down {i}",
                "latitude": "30.903",
                "longitude": "120.803",
                "photos": [upload(f"d{i}.jpg", jpeg_bytes(size=(80, 60), seed=i))],
            }
            statuses.append(APIClient().post("/api/v1/hazards/", form, format="multipart").status_code)
    fresh_channel_layer()
    return before, statuses


async def test_reports_succeed_with_the_channel_layer_down_and_clients_replay_them(settings):
    settings.CHANNEL_LAYERS = MEMORY
    grid, dispatcher = await database_sync_to_async(_world)()
    before, statuses = await database_sync_to_async(_report_while_redis_is_down)(grid, 3)
    assert statuses == [201, 201, 201]
    created = await database_sync_to_async(
        lambda: list(LiveEvent.objects.filter(id__gt=before, type="hazard.created").values_list("id", flat=True))
    )()
    assert len(created) == 3, "every report left its event in the outbox"

    # The dispatcher's page comes back (layer reachable again) from where it left off.
    cookie = await database_sync_to_async(session_cookie)(dispatcher)
    socket = await open_socket(f"last_event_id={before}", cookie=cookie)
    # Each report is two events: hazard.created, then hazard.photos_ready once its photo is processed.
    events = await receive_events(socket, 6)
    replayed = [m for m in events if m["type"] == "hazard.created"]
    assert [m["id"] for m in replayed] == created
    assert [m["type"] for m in events].count("hazard.photos_ready") == 3
    assert all(DISPATCH_TOPIC in m.get("topics", [DISPATCH_TOPIC]) for m in replayed)
    assert await quiet(socket)
    await socket.disconnect()
    record("5 faults: redis down → replay", tried=3, passed=3)
