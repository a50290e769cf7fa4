"""A Redis outage under live sockets, for real: a uvicorn server (production settings) reaches Redis
through a TCP proxy the test cuts and restores (tests/deploy/netfault.py).

Every socket is closed cleanly (1012, "service restart") with one WARNING line per 10 s, never a
traceback; requests keep succeeding (their events wait in the outbox); a client reconnecting during
the outage gets what it missed by replay; after Redis is back, clients resume from their last id
and live delivery works again. Each client sees every event once, in order."""

from __future__ import annotations

import asyncio
import json
import os
import time
from urllib.parse import urlsplit

import pytest
import requests

from govern.roles import DISPATCHER
from tests.deploy.netfault import TcpProxy
from tests.deploy.stack import Group, _free_port, clean_env, wait_for_port
from tests.factories import UserFactory
from tests.govern.live_helpers import ensure_roles, token_for
from tests.govern.test_live_services import _test_database_url

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CLIENTS = 10


@pytest.fixture
def server_behind_a_proxy():
    redis_parts = urlsplit(os.environ["REDIS_URL"])
    proxy = TcpProxy(redis_parts.hostname or "127.0.0.1", redis_parts.port or 6379).start()
    port = _free_port()
    env = clean_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="redis-outage-test-secret-key-0123456789-abcdefghijklmnop",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=f"redis://127.0.0.1:{proxy.port}/13",
    )
    import redis

    redis.Redis.from_url(f"redis://{redis_parts.hostname or '127.0.0.1'}:{redis_parts.port or 6379}/13").flushdb()
    server = Group(
        "uvicorn",
        f"exec {os.path.dirname(os.sys.executable)}/uvicorn govern.asgi:application --host 127.0.0.1 --port {port} "
        "--ws websockets-sansio --lifespan off --no-access-log",
        env,
    )
    try:
        wait_for_port(port, server, timeout=60)
        yield {"port": port, "proxy": proxy, "server": server}
    finally:
        server.stop(timeout=10)  # nothing left to finish; SIGKILL after 10 s
        proxy.stop()


def test_sockets_close_cleanly_and_resume_by_replay(server_behind_a_proxy):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    port, proxy, server = (server_behind_a_proxy[k] for k in ("port", "proxy", "server"))
    ensure_roles()
    key = token_for(UserFactory(roles=[DISPATCHER]))
    headers = {"Authorization": f"Token {key}"}

    def notice(text: str) -> int:
        response = requests.post(
            f"http://127.0.0.1:{port}/api/v1/notices/", json={"text": text}, headers=headers, timeout=30
        )
        assert response.status_code == 201, response.text[:300]
        return response.json()["id"]

    seen: list[list[int]] = [[] for _ in range(CLIENTS)]

    async def read_until(ws, index: int, want: set[int], timeout: float) -> int | None:
        """Collect notices until every id of `want` arrived; returns the close code if it closes."""
        deadline = time.monotonic() + timeout
        try:
            while not want <= set(seen[index]):
                message = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
                if message.get("type") == "system.notice":
                    seen[index].append(message["id"])
        except ConnectionClosed:
            return ws.close_code
        return None

    async def closed(ws, index: int, timeout: float) -> int | None:
        try:
            await read_until(ws, index, {-1}, timeout)
        except TimeoutError:
            return None
        return ws.close_code

    async def scenario():
        # Connected and live.
        sockets = [
            await connect(f"ws://127.0.0.1:{port}/ws/live/?last_event_id=0", additional_headers=headers)
            for _ in range(CLIENTS)
        ]
        a = await asyncio.to_thread(notice, "before the outage")
        await asyncio.gather(*(read_until(ws, i, {a}, 20) for i, ws in enumerate(sockets)))

        # Redis goes away: every socket is closed with 1012, and requests still succeed.
        proxy.cut()
        codes = await asyncio.gather(*(closed(ws, i, 40) for i, ws in enumerate(sockets)))
        assert codes == [1012] * CLIENTS, codes
        b = await asyncio.to_thread(notice, "during the outage 1")
        c = await asyncio.to_thread(notice, "during the outage 2")

        # A client reconnecting meanwhile gets what it missed by replay (then the layer closes it again).
        ws = await connect(f"ws://127.0.0.1:{port}/ws/live/?last_event_id={a}", additional_headers=headers)
        assert await read_until(ws, 0, {b, c}, 20) in (None, 1012)
        await ws.close()

        # Redis is back: everyone resumes from their last id and is live again.
        proxy.restore()
        await asyncio.sleep(1)
        sockets = [
            await connect(f"ws://127.0.0.1:{port}/ws/live/?last_event_id={seen[i][-1]}", additional_headers=headers)
            for i in range(CLIENTS)
        ]
        for i, ws in enumerate(sockets):
            assert await read_until(ws, i, {b, c}, 20) is None
        d = await asyncio.to_thread(notice, "after the outage")
        for i, ws in enumerate(sockets):
            assert await read_until(ws, i, {d}, 20) is None
        await asyncio.gather(*(ws.close() for ws in sockets))
        return a, b, c, d

    a, b, c, d = asyncio.run(scenario())
    assert seen == [[a, b, c, d]] + [[a, b, c, d]] * (CLIENTS - 1), seen  # once each, in order
    time.sleep(0.5)
    output = server.output()
    assert "Traceback" not in output, output[max(0, output.find("Traceback") - 1500) :][:6000]
    assert "channel layer unreachable" in output
