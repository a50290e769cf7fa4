"""Services mode end to end: two real ASGI server processes (uvicorn) and a real Celery worker
over PostgreSQL and Redis. A `system.notice` published by the worker (govern.tasks.notice_publish)
must reach a websocket client on each server, in order, once. Prints the latency it observed
(never asserted: timings belong in bench/)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import timezone

from govern.live import DISPATCH_TOPIC
from govern.roles import DISPATCHER
from tests.factories import UserFactory
from tests.govern.live_helpers import ensure_roles, token_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_url() -> str:
    """pytest-django renamed the database to test_<name>: the subprocesses must use that one."""
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Proc:
    """A child process whose output is drained in a thread (so it never blocks on a full pipe)."""

    def __init__(self, name: str, args: list[str], env: dict):
        self.name = name
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        for line in self.popen.stdout:
            self.lines.append(line.rstrip())

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def _wait_for_port(port: int, proc: Proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            break
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"{proc.name} did not listen on {port}:\n" + "\n".join(proc.lines[-40:]))


@pytest.fixture
def stack():
    """Two uvicorn processes of govern.asgi:application and one Celery worker, on the test DB."""
    queue = f"live-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    ports = [_free_port(), _free_port()]
    servers = [
        Proc(
            f"uvicorn:{port}",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "govern.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ws",
                "websockets",
                "--lifespan",
                "off",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
        )
        for port in ports
    ]
    worker = Proc(
        "celery worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "govern",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        env,
    )
    procs = [*servers, worker]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_for_port(port, server)
        worker.wait_for_line("ready.", timeout=60)
        yield {"ports": ports, "queue": queue}
    finally:
        for proc in procs:
            proc.stop()


async def _collect(ws, n: int, received: list, arrived: asyncio.Event, timeout: float = 30) -> None:
    while len(received) < n:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        received.append((time.perf_counter(), time.time(), message))
        arrived.set()


def _ms(values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {values[-1]:.1f} ms"


def test_an_event_published_by_a_celery_worker_reaches_clients_on_two_servers(stack):
    from websockets.asyncio.client import connect

    from govern.celery import app as celery_app

    ensure_roles()
    key = token_for(UserFactory(roles=[DISPATCHER]))
    a_port, b_port = stack["ports"]

    async def scenario():
        async with (
            connect(f"ws://127.0.0.1:{a_port}/ws/live/?token={key}") as a,
            connect(f"ws://127.0.0.1:{b_port}/ws/live/", additional_headers={"Authorization": f"Token {key}"}) as b,
        ):
            sent_at = {}
            got_a, got_b = [], []
            arrived = asyncio.Event()
            collectors = asyncio.gather(_collect(a, EVENTS, got_a, arrived), _collect(b, EVENTS, got_b, arrived))
            for n in range(EVENTS):
                text = f"notice {n}"
                sent_at[text] = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # tests.settings is eager; send_task never is
                    celery_app.send_task(
                        "govern.tasks.notice_publish", args=[[DISPATCH_TOPIC], text, "info"], queue=stack["queue"]
                    )
                # One at a time, so each figure is one task's trip, not a queue's backlog.
                while len(got_a) <= n or len(got_b) <= n:
                    arrived.clear()
                    try:
                        await asyncio.wait_for(arrived.wait(), 30)
                    except TimeoutError:
                        raise AssertionError(f"notice {n} never arrived: a={len(got_a)} b={len(got_b)}")
            await collectors
            return sent_at, got_a, got_b

    sent_at, got_a, got_b = asyncio.run(scenario())

    for got in (got_a, got_b):
        messages = [m for _, _, m in got]
        assert [m["type"] for m in messages] == ["system.notice"] * EVENTS
        assert [m["data"]["text"] for m in messages] == [f"notice {n}" for n in range(EVENTS)]
        ids = [m["id"] for m in messages]
        assert ids == sorted(set(ids))  # in order, once
    assert [m["id"] for _, _, m in got_a] == [m["id"] for _, _, m in got_b]

    report = []
    for name, got in (("server A", got_a), ("server B", got_b)):
        trip = [(t - sent_at[m["data"]["text"]]) * 1000 for t, _, m in got]
        commit_to_socket = [(wall - timezone.datetime.fromisoformat(m["at"]).timestamp()) * 1000 for _, wall, m in got]
        report.append(f"  {name}: send_task -> socket {_ms(trip)}; event row written -> socket {_ms(commit_to_socket)}")
    print(
        f"\nlive latency, services mode ({EVENTS} notices from a Celery worker, 2 uvicorn processes):\n"
        + "\n".join(report)
    )
