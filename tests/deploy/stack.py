"""Helpers for tests that deploy govern as an operator would: their own PostgreSQL database, a
settings file built from deploy/env.example, processes started from the checkout, WebSocket
clients that stay connected. Every process a test starts is stopped by the test (process groups)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from tests.govern.test_live_services import ROOT, _free_port

PG_ADMIN_URL = os.environ.get("GOVERN_TEST_PG_ADMIN_URL", "")
RECIPE_MARKER = "<!-- deploy-recipe"
ENV_PATH_IN_README = "/etc/govern/govern.env"


def admin_url() -> str:
    """The maintenance database of the server DATABASE_URL names (to create and drop ours)."""
    if PG_ADMIN_URL:
        return PG_ADMIN_URL
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/postgres"))


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(admin_url())._replace(path=f"/{name}"))


def create_database(name: str) -> str:
    drop_database(name)
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def redis_url(db: int) -> str:
    """Our own Redis database number on the server REDIS_URL names, emptied."""
    parts = urlsplit(os.environ["REDIS_URL"])
    url = urlunsplit(parts._replace(path=f"/{db}"))
    redis.Redis.from_url(url).flushdb()
    return url


def clean_env(**extra: str) -> dict[str, str]:
    """An environment with nothing of the test process's Django or database settings in it."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update({"PYTHONUNBUFFERED": "1", **extra})
    return env


def write_env_file(path: Path, overrides: dict[str, str]) -> dict[str, str]:
    """deploy/env.example with a fresh secret key (as the README's install line does), then the
    operator's edits (later lines win, for a shell and for systemd's EnvironmentFile alike)."""
    lines = [(ROOT / "deploy" / "env.example").read_text()]
    lines.append(f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")
    lines += [f"{key}={value}" for key, value in overrides.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def readme_recipe() -> str:
    """The shell block the README marks as the deployment recipe, as it stands."""
    text = (ROOT / "README.md").read_text()
    at = text.index(RECIPE_MARKER)
    block = re.search(r"```sh\n(.*?)```", text[at:], re.S)
    assert block, "the README's deploy-recipe marker is not followed by a ```sh block"
    return block.group(1)


class Group:
    """A shell command in its own process group, its output collected line by line."""

    def __init__(self, name: str, command: str, env: dict, cwd: Path = ROOT):
        self.name = name
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, predicate, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: {what} not seen in {timeout:.0f} s:\n" + "\n".join(self.lines[-60:]))

    def wait_for_line(self, text: str, timeout: float) -> None:
        self.wait_for(lambda: any(text in line for line in self.lines), repr(text), timeout)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the whole group (honcho passes it on: warm shutdowns), SIGKILL if it lingers."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
            except ProcessLookupError:
                pass
        with contextlib.suppress(ProcessLookupError):  # a grandchild that ignored the TERM
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.thread.join(timeout=5)


def wait_for_port(port: int, group: Group, timeout: float) -> None:
    import socket

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    group.wait_for(listening, f"a server on port {port}", timeout)


class SocketHolder:
    """WebSocket clients held open in a thread of their own, recording every close they suffer.

    `open(urls)` connects them all; `finish()` asks each for a pong, closes them and returns the
    drops: (index, seconds after opening, close code) for every socket the server closed."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sockets: list = []
        self.opened_at = 0.0
        self.drops: list[tuple[int, float, object]] = []
        self.received: list[list[dict]] = []

    def _run(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def open(self, urls: list[str], headers: list[dict] | None = None, timeout: float = 60) -> None:
        self._run(self._open(urls, headers or [{} for _ in urls]), timeout)

    async def _open(self, urls, headers):
        from websockets.asyncio.client import connect

        self.sockets = await asyncio.gather(
            *(
                connect(url, additional_headers=h, ping_interval=None, open_timeout=30)
                for url, h in zip(urls, headers, strict=True)
            )
        )
        self.opened_at = time.monotonic()
        self.received = [[] for _ in self.sockets]
        self.readers = [self.loop.create_task(self._read(i, ws)) for i, ws in enumerate(self.sockets)]

    async def _read(self, index, ws):
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                self.received[index].append(json.loads(raw))
        except ConnectionClosed:
            pass
        code = ws.close_code
        if not getattr(self, "_finishing", False):
            self.drops.append((index, round(time.monotonic() - self.opened_at, 1), code))

    def finish(self, timeout: float = 60) -> list[tuple[int, float, object]]:
        return self._run(self._finish(), timeout)

    async def _finish(self):
        pongs = []
        for index, ws in enumerate(self.sockets):
            if any(drop[0] == index for drop in self.drops):
                continue
            before = len(self.received[index])
            await ws.send(json.dumps({"type": "ping"}))
            pongs.append((index, before))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(
            any(m.get("type") == "pong" for m in self.received[i][before:]) for i, before in pongs
        ):
            await asyncio.sleep(0.05)
        missing = [i for i, before in pongs if not any(m.get("type") == "pong" for m in self.received[i][before:])]
        self._finishing = True
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        await asyncio.gather(*self.readers, return_exceptions=True)
        return self.drops + [(i, None, "no pong") for i in missing]

    def close(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def honcho_lines(output: str, process: str) -> list[str]:
    """The lines one process of `honcho start` printed (without honcho's time and name prefix)."""
    pattern = re.compile(rf"^\d\d:\d\d:\d\d {re.escape(process)}\.\d+\s*\| (.*)$")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)  # honcho colours its prefixes
    return [m.group(1) for line in plain.splitlines() if (m := pattern.match(line))]


__all__ = [
    "ENV_PATH_IN_README",
    "ROOT",
    "Group",
    "SocketHolder",
    "_free_port",
    "clean_env",
    "create_database",
    "database_url",
    "drop_database",
    "honcho_lines",
    "readme_recipe",
    "redis_url",
    "wait_for_port",
    "write_env_file",
]
