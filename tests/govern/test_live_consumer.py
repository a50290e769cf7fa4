"""/ws/live/ through the real ASGI stack: authentication, topic authorization, replay, resync,
keepalive, and delivery that neither skips nor repeats."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, user_topic
from govern.live_services import live_events_prune
from govern.models import LiveEvent
from govern.roles import DISPATCHER, GRID_WORKER, RESIDENT
from tests.factories import UserFactory, make_grid
from tests.govern.live_helpers import (
    apublish,
    ensure_roles,
    expect_close,
    fresh_channel_layer,
    open_socket,
    quiet,
    receive_events,
    session_cookie,
    token_for,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _layer():
    fresh_channel_layer()
    yield
    fresh_channel_layer()


@pytest.fixture
def people(db):
    ensure_roles()
    grid, other = make_grid(west=120.80, south=30.90), make_grid(west=120.81, south=30.90)
    worker = UserFactory(roles=[GRID_WORKER])
    grid.workers.add(worker)
    return {
        "grid": grid,
        "other_grid": other,
        "worker": worker,
        "dispatcher": UserFactory(roles=[DISPATCHER]),
        "resident": UserFactory(roles=[RESIDENT]),
        "stranger": UserFactory(roles=[RESIDENT]),
    }


def _message_ok(message: dict, event_id: int, type_: str, data: dict) -> None:
    assert set(message) == {"id", "type", "data", "at"}
    assert (message["id"], message["type"], message["data"]) == (event_id, type_, data)
    assert timezone.datetime.fromisoformat(message["at"]).tzinfo is not None


# --- authentication ---------------------------------------------------------------------------


async def test_session_user_gets_own_grid_and_dispatch_topics_only(people):
    worker, dispatcher = people["worker"], people["dispatcher"]
    w = await open_socket(cookie=await db(session_cookie)(worker))
    d = await open_socket(cookie=await db(session_cookie)(dispatcher))
    grid_event = await apublish([grid_topic(people["grid"].pk)], "hazard.created", {"n": 1})
    _message_ok(await w.receive_json_from(timeout=5), grid_event, "hazard.created", {"n": 1})
    assert await quiet(d)  # not a dispatch event, not the dispatcher's grid
    dispatch_event = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 2})
    _message_ok(await d.receive_json_from(timeout=5), dispatch_event, "hazard.created", {"n": 2})
    await apublish([grid_topic(people["other_grid"].pk), user_topic(people["stranger"].pk)], "task.offered", {})
    mine = await apublish([user_topic(worker.pk)], "points.changed", {"balance": 5})
    assert (await w.receive_json_from(timeout=5))["id"] == mine  # the other grid's event never came
    assert await quiet(w) and await quiet(d)
    await w.disconnect()
    await d.disconnect()


async def test_token_in_query_or_header_authenticates(people):
    resident = people["resident"]
    key = await db(token_for)(resident)
    by_query = await open_socket(f"token={key}")
    by_header = await open_socket(headers=[(b"authorization", f"Token {key}".encode())])
    event = await apublish([user_topic(resident.pk)], "points.changed", {"balance": 10})
    for socket in (by_query, by_header):
        assert (await socket.receive_json_from(timeout=5))["id"] == event
        await socket.disconnect()


async def test_a_bad_token_is_refused_not_downgraded(people):
    socket = await open_socket("token=not-a-real-token&track=ABCD1234")
    await expect_close(socket, 4401)


async def test_inactive_users_token_is_refused(people):
    resident = people["resident"]
    key = await db(token_for)(resident)
    resident.is_active = False
    await db(resident.save)()
    await expect_close(await open_socket(f"token={key}"), 4401)


async def test_anonymous_without_tracking_code_is_closed_4401(people):
    await expect_close(await open_socket(), 4401)
    await expect_close(await open_socket("topics=dispatch"), 4401)


async def test_anonymous_follows_only_the_tracked_hazards(people):
    socket = await open_socket("track=K7QX9M,PP22RR")
    await apublish([hazard_topic("ZZZZ9999"), DISPATCH_TOPIC], "hazard.status_changed", {"code": "ZZZZ9999"})
    first = await apublish([hazard_topic("K7QX9M"), DISPATCH_TOPIC], "hazard.status_changed", {"to": "dispatched"})
    second = await apublish([hazard_topic("PP22RR")], "hazard.status_changed", {"to": "rectified"})
    assert [m["id"] for m in await receive_events(socket, 2)] == [first, second]
    assert await quiet(socket)
    await socket.disconnect()


@pytest.mark.parametrize(
    "query",
    [
        "track=K7QX9M&topics=dispatch",  # anonymous asking for more than its hazard
        "track=bad/code!",  # not a tracking code
        "track=K7QX9M&topics=hazard:OTHER123",  # a hazard it does not track
        "track=" + ",".join(f"CODE{i:04d}" for i in range(51)),  # too many codes
    ],
)
async def test_anonymous_asking_for_a_topic_it_may_not_see_is_closed_4403(people, query):
    await expect_close(await open_socket(query), 4403)


async def test_user_asking_for_a_topic_it_may_not_see_is_closed_4403(people):
    resident, stranger = people["resident"], people["stranger"]
    cookie = await db(session_cookie)(resident)
    for topics in ("dispatch", user_topic(stranger.pk), grid_topic(people["grid"].pk), "nonsense"):
        await expect_close(await open_socket(f"topics={topics}", cookie=cookie), 4403)


async def test_requested_topics_narrow_the_subscription(people):
    dispatcher = people["dispatcher"]
    socket = await open_socket("topics=dispatch", cookie=await db(session_cookie)(dispatcher))
    await apublish([user_topic(dispatcher.pk)], "points.changed", {})
    event = await apublish([DISPATCH_TOPIC], "hazard.created", {})
    assert (await socket.receive_json_from(timeout=5))["id"] == event
    assert await quiet(socket)
    await socket.disconnect()


async def test_a_foreign_origin_is_refused_and_no_origin_is_a_non_browser_client(people, settings):
    from channels.testing import WebsocketCommunicator

    from govern.asgi import application

    settings.ALLOWED_HOSTS = ["govern.example.org"]
    foreign = WebsocketCommunicator(
        application, "/ws/live/?track=K7QX9M", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await foreign.connect(timeout=5)
    assert not connected
    ours = WebsocketCommunicator(
        application,
        "/ws/live/?track=K7QX9M",
        headers=[
            (b"origin", b"https://govern.example.org"),
            (b"host", b"govern.example.org"),
            (b"x-forwarded-proto", b"https"),
        ],
    )
    assert (await ours.connect(timeout=5))[0]
    await ours.disconnect()
    script = WebsocketCommunicator(application, "/ws/live/?track=K7QX9M")
    assert (await script.connect(timeout=5))[0]
    await script.disconnect()


# --- replay -----------------------------------------------------------------------------------


async def test_replay_after_a_disconnect_sends_exactly_the_missed_events_then_live(people):
    worker = people["worker"]
    cookie = await db(session_cookie)(worker)
    topic = grid_topic(people["grid"].pk)
    socket = await open_socket(cookie=cookie)
    seen = await apublish([topic], "task.offered", {"n": 0})
    assert (await socket.receive_json_from(timeout=5))["id"] == seen
    await socket.disconnect()

    missed = []
    for n in range(1, 6):
        missed.append(await apublish([topic], "task.offered", {"n": n}))
        await apublish([DISPATCH_TOPIC], "hazard.created", {"not": "visible to a grid worker"})

    socket = await open_socket(f"last_event_id={seen}", cookie=cookie)
    replayed = await receive_events(socket, 5)
    assert [m["id"] for m in replayed] == missed
    assert [m["data"]["n"] for m in replayed] == [1, 2, 3, 4, 5]
    assert await quiet(socket)
    live = await apublish([topic], "task.offered", {"n": 6})
    assert (await socket.receive_json_from(timeout=5))["id"] == live
    assert await quiet(socket)
    await socket.disconnect()


async def test_events_published_during_the_replay_arrive_once_in_order(people):
    """Publishers racing a connecting socket: nothing lost between replay and live, nothing twice."""
    dispatcher = people["dispatcher"]
    cookie = await db(session_cookie)(dispatcher)
    start = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 0})
    published = []

    async def publisher():
        for n in range(1, 21):
            published.append(await apublish([DISPATCH_TOPIC], "hazard.created", {"n": n}))

    task = asyncio.ensure_future(publisher())
    socket = await open_socket(f"last_event_id={start}", cookie=cookie)
    await task
    received = await receive_events(socket, 20)
    assert [m["id"] for m in received] == published
    assert await quiet(socket)
    await socket.disconnect()


async def test_an_event_on_two_of_my_topics_arrives_once(people):
    worker = people["worker"]
    socket = await open_socket(cookie=await db(session_cookie)(worker))
    event = await apublish([grid_topic(people["grid"].pk), user_topic(worker.pk)], "task.offered", {})
    assert (await socket.receive_json_from(timeout=5))["id"] == event
    assert await quiet(socket)
    await socket.disconnect()


async def test_without_a_position_the_socket_is_live_only(people):
    dispatcher = people["dispatcher"]
    await apublish([DISPATCH_TOPIC], "hazard.created", {"old": True})
    socket = await open_socket(cookie=await db(session_cookie)(dispatcher))
    assert await quiet(socket)
    event = await apublish([DISPATCH_TOPIC], "hazard.created", {"old": False})
    assert (await socket.receive_json_from(timeout=5))["id"] == event
    await socket.disconnect()


async def test_a_malformed_position_is_closed_4400(people):
    await expect_close(await open_socket("track=K7QX9M&last_event_id=-3"), 4400)
    await expect_close(await open_socket("track=K7QX9M&last_event_id=abc"), 4400)


async def test_a_lost_channel_message_is_recovered_by_the_next_event(people, monkeypatch):
    """A send that never arrives (layer hiccup): the next event's `prev` shows the gap and the
    socket fills it from the outbox, so the client still sees every event, in order."""
    import govern.live

    dispatcher = people["dispatcher"]
    socket = await open_socket(cookie=await db(session_cookie)(dispatcher))
    real_send = govern.live._send
    monkeypatch.setattr(govern.live, "_send", lambda *args, **kwargs: None)
    lost = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 1})
    monkeypatch.setattr(govern.live, "_send", real_send)
    assert await quiet(socket)
    after = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 2})
    assert [m["id"] for m in await receive_events(socket, 2)] == [lost, after]
    assert await quiet(socket)
    await socket.disconnect()


async def test_the_outbox_scan_delivers_when_the_channel_layer_is_down(people, settings, monkeypatch):
    """Publisher's layer down: the request succeeds, and the socket server's periodic outbox scan
    still brings the event to the connected client (also how embedded mode sees events published
    by another process)."""
    settings.LIVE_SYNC_INTERVAL = 0.1
    dispatcher = people["dispatcher"]
    socket = await open_socket(cookie=await db(session_cookie)(dispatcher))
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def down(*args, **kwargs):
        raise ConnectionError("channel layer down")

    monkeypatch.setattr(layer, "group_send", down)
    event = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 1})
    assert await db(LiveEvent.objects.filter(pk=event).exists)()
    assert (await socket.receive_json_from(timeout=5))["id"] == event
    assert await quiet(socket)
    await socket.disconnect()


# --- resync -------------------------------------------------------------------------------------


def _age_and_prune(ids, days=30) -> int:
    LiveEvent.objects.filter(id__in=ids).update(created_at=timezone.now() - timedelta(days=days))
    return live_events_prune()


async def test_a_position_older_than_retention_answers_resync_then_goes_live(people):
    dispatcher = people["dispatcher"]
    cookie = await db(session_cookie)(dispatcher)
    old = [await apublish([DISPATCH_TOPIC], "hazard.created", {"n": n}) for n in range(3)]
    kept = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 3})
    assert await db(_age_and_prune)(old) == 3

    socket = await open_socket(f"last_event_id={old[0]}", cookie=cookie)
    assert await socket.receive_json_from(timeout=5) == {"type": "resync", "last_event_id": kept}
    assert await quiet(socket)
    live = await apublish([DISPATCH_TOPIC], "hazard.created", {"n": 4})
    assert (await socket.receive_json_from(timeout=5))["id"] == live
    await socket.disconnect()

    # Standing exactly at the prune mark loses nothing: no resync, the kept event replays.
    socket = await open_socket(f"last_event_id={old[-1]}", cookie=cookie)
    assert [m["id"] for m in await receive_events(socket, 2)] == [kept, live]
    await socket.disconnect()


async def test_resync_when_pruning_emptied_the_table(people):
    dispatcher = people["dispatcher"]
    cookie = await db(session_cookie)(dispatcher)
    ids = [await apublish([DISPATCH_TOPIC], "hazard.created", {"n": n}) for n in range(2)]
    await db(_age_and_prune)(ids)
    assert await db(LiveEvent.objects.count)() == 0
    socket = await open_socket(f"last_event_id={ids[0]}", cookie=cookie)
    assert await socket.receive_json_from(timeout=5) == {"type": "resync", "last_event_id": ids[-1]}
    await socket.disconnect()
    socket = await open_socket(f"last_event_id={ids[-1]}", cookie=cookie)
    assert await quiet(socket)
    await socket.disconnect()


async def test_a_position_from_the_future_answers_resync(people):
    """A position above anything ever issued comes from another database (restored, reset)."""
    newest = await apublish([hazard_topic("K7QX9M")], "hazard.status_changed", {})
    socket = await open_socket(f"track=K7QX9M&last_event_id={newest + 1000}")
    assert await socket.receive_json_from(timeout=5) == {"type": "resync", "last_event_id": newest}
    await socket.disconnect()


async def test_too_much_to_replay_answers_resync(people, settings):
    settings.LIVE_REPLAY_LIMIT = 3
    ids = [await apublish([hazard_topic("K7QX9M")], "hazard.status_changed", {"n": n}) for n in range(5)]
    socket = await open_socket(f"track=K7QX9M&last_event_id={ids[0]}")
    assert (await socket.receive_json_from(timeout=5))["type"] == "resync"
    await socket.disconnect()
    socket = await open_socket(f"track=K7QX9M&last_event_id={ids[1]}")
    assert [m["id"] for m in await receive_events(socket, 3)] == ids[2:]
    await socket.disconnect()


# --- keepalive and long-lived sockets -------------------------------------------------------


async def test_ping_gets_pong_and_junk_is_ignored(people):
    socket = await open_socket("track=K7QX9M")
    await socket.send_to(text_data="not json")
    await socket.send_to(bytes_data=b"\x00\x01")
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_a_long_lived_socket_loses_a_revoked_role(people, settings):
    settings.LIVE_SYNC_INTERVAL = 0.05
    settings.LIVE_REAUTHORIZE_INTERVAL = 0
    dispatcher = people["dispatcher"]
    socket = await open_socket(cookie=await db(session_cookie)(dispatcher))
    await db(lambda: dispatcher.groups.remove(Group.objects.get(name=DISPATCHER)))()
    await expect_close(socket, 4403)


async def test_a_long_lived_socket_joins_a_newly_assigned_grid(people, settings):
    settings.LIVE_SYNC_INTERVAL = 0.05
    settings.LIVE_REAUTHORIZE_INTERVAL = 0
    worker, other = people["worker"], people["other_grid"]
    socket = await open_socket(cookie=await db(session_cookie)(worker))
    await db(other.workers.add)(worker)
    event_id = None
    for _ in range(100):  # bounded: until the re-check has joined the new grid
        await asyncio.sleep(0.05)
        event_id = await apublish([grid_topic(other.pk)], "task.offered", {})
        try:
            message = await socket.receive_json_from(timeout=0.3)
        except TimeoutError:
            continue
        assert message["id"] <= event_id
        break
    else:
        pytest.fail("the new grid's events never arrived")
    await socket.disconnect()


async def test_a_logged_out_session_closes_the_socket_4401(people, settings):
    from django.contrib.sessions.models import Session

    settings.LIVE_SYNC_INTERVAL = 0.05
    settings.LIVE_REAUTHORIZE_INTERVAL = 0
    socket = await open_socket(cookie=await db(session_cookie)(people["resident"]))
    await db(lambda: Session.objects.all().delete())()
    await expect_close(socket, 4401)


# --- a client that went away ------------------------------------------------------------------


async def test_a_send_the_server_refuses_because_the_client_left_closes_the_socket_quietly():
    """uvicorn refuses a send to a socket its client already closed (before our disconnect ran):
    the consumer takes that as the close, skips later sends, and raises nothing into the server
    (which would log a traceback per event per phone that dropped off)."""
    from govern.consumers import LiveConsumer

    refused = []

    async def closed_socket(message):
        refused.append(message)
        raise RuntimeError(
            "Unexpected ASGI message 'websocket.send', after sending 'websocket.close' or response already completed."
        )

    consumer = LiveConsumer()
    consumer._closed, consumer.base_send = False, closed_socket
    await consumer.send_json({"id": 1})
    assert consumer._closed and len(refused) == 1
    await consumer.send_json({"id": 2})
    assert len(refused) == 1  # not tried again

    async def broken(message):
        raise RuntimeError("a bug, not a closed socket")

    consumer._closed, consumer.base_send = False, broken
    with pytest.raises(RuntimeError, match="a bug"):
        await consumer.send_json({"id": 3})
