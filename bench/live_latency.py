"""Live latency: from a report's 201 to the dispatcher's socket receiving `hazard.created`,
with idle websocket clients connected across two ASGI worker processes, against the floor of a
bare channel-layer group_send round trip through the same Redis in the same run.

The floor is sampled between the measured reports (FLOOR_PER_SAMPLE after each), so both see the
same machine: the idle sockets, the servers, and the Celery worker re-encoding the photos just
posted. A floor measured before the run, on a quiet machine, compared a loaded p99 with an idle one.
With 60 samples the p99 was the single worst sample; the full run takes 200."""

from __future__ import annotations

import asyncio
import json
import time

import requests
import websockets

from bench.clients import report_fields, token, ws_url
from bench.report import Report, Row, percentile
from bench.stack import REDIS_URL, Server, peak_rss_kib, rss_kib

FLOOR_PER_SAMPLE = 2


class _Floor:
    """A bare channel-layer round trip: group_send to a group of one channel, receive it."""

    def __init__(self):
        from channels_redis.core import RedisChannelLayer

        self.layer = RedisChannelLayer(hosts=[REDIS_URL])
        self.latencies: list[float] = []

    async def __aenter__(self) -> _Floor:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add("bench.floor", self.channel)
        return self

    async def sample(self) -> None:
        t0 = time.perf_counter()
        await self.layer.group_send("bench.floor", {"type": "bench.ping", "i": len(self.latencies)})
        await self.layer.receive(self.channel)
        self.latencies.append((time.perf_counter() - t0) * 1000)

    async def __aexit__(self, *exc) -> None:
        await self.layer.group_discard("bench.floor", self.channel)
        await self.layer.flush()


async def _idle_clients(servers: list[Server], tokens: list[str], count: int) -> list:
    sockets = []
    for i in range(count):
        server = servers[i % len(servers)]
        # Idle residents following a report: anonymous tracking clients.
        sockets.append(
            await websockets.connect(ws_url(server.url, f"track=IDLE{i:06d}"), origin=server.url, open_timeout=60)
        )
    return sockets


async def _measure(
    servers: list[Server], samples: int, idle: int, photo: bytes, category: str, floor: _Floor
) -> tuple[list[float], int, list[int]]:
    dispatcher_token = token(servers[0].url, "dispatcher")
    before = [rss_kib(s.pid) for s in servers]
    idle_sockets = await _idle_clients(servers, [], idle)
    after = [rss_kib(s.pid) for s in servers]
    listeners = [
        await websockets.connect(ws_url(s.url, f"token={dispatcher_token}"), origin=s.url, open_timeout=60)
        for s in servers
    ]
    latencies = []
    loop = asyncio.get_running_loop()
    session = requests.Session()

    def post() -> tuple[float, int]:
        response = session.post(
            servers[0].url + "/api/v1/hazards/",
            data=report_fields(category),
            files={"photos": ("phone.jpg", photo, "image/jpeg")},
            timeout=60,
        )
        return time.perf_counter(), response.json()["id"] if response.status_code == 201 else -1

    for _ in range(samples):
        created_at, hazard_id = await loop.run_in_executor(None, post)
        if hazard_id < 0:
            continue
        # The event may arrive before the HTTP response is read; measure from the 201 and
        # count an early arrival as zero rather than dropping the sample.
        listener = listeners[-1]  # the socket on the OTHER worker process than the one posting
        while True:
            message = json.loads(await asyncio.wait_for(listener.recv(), timeout=30))
            if message.get("type") == "hazard.created" and message["data"].get("id") == hazard_id:
                latencies.append(max(0.0, (time.perf_counter() - created_at) * 1000))
                break
        # The floor's samples are taken between the measured ones, under the same load (the idle
        # sockets, the worker re-encoding the photos just posted): the same moment, bare path.
        for _ in range(FLOOR_PER_SAMPLE):
            await floor.sample()
    for sock in idle_sockets + listeners:
        await sock.close()
    per_1000 = [int((a - b) * 1000 / max(idle // len(servers), 1)) for a, b in zip(after, before, strict=True)]
    return latencies, idle, per_1000


async def _measure_with_floor(
    servers, samples, idle, photo, category
) -> tuple[list[float], list[float], int, list[int]]:
    async with _Floor() as floor:
        latencies, idle_count, rss_per_1000 = await _measure(servers, samples, idle, photo, category, floor)
    return latencies, floor.latencies, idle_count, rss_per_1000


def run(report: Report, servers: list[Server], *, samples: int, idle: int, photo: bytes, category: str) -> None:
    latencies, floor, idle_count, rss_per_1000 = asyncio.run(
        _measure_with_floor(servers, samples, idle, photo, category)
    )
    for p in (50, 95, 99):
        value, base = percentile(latencies, p), percentile(floor, p)
        report.add(
            Row(
                name=f"live latency p{p} ({idle_count} idle sockets, {len(servers)} ASGI processes)",
                value=value,
                unit="ms",
                floor=base,
                floor_name=f"group_send p{p}",
                ratio=value / base if base else None,
                target="≤ 3× floor" if p == 99 else "",
                ok=(value <= 3 * base) if p == 99 else None,
                note=(
                    "measured from the 201 of POST /api/v1/hazards/ on process 1 to hazard.created on a dispatcher "
                    "socket of process 2; the photo is checked before the 201 and re-encoded afterwards by the Celery "
                    "worker (niced, see bench/stack.py), which runs during the measurement"
                )
                if p == 50
                else "",
            )
        )
    peak = max(peak_rss_kib(s.pid) for s in servers)
    report.add(
        Row(
            name="ASGI worker RSS per 1,000 idle sockets",
            value=max(rss_per_1000) / 1024,
            unit="MiB",
            note=f"peak RSS of the larger worker during the run: {peak / 1024:.0f} MiB",
        )
    )
