"""Browser harness: a real ASGI server (uvicorn, HTTP + WebSockets) in a thread over the test
database, and Playwright driving Debian's /usr/bin/chromium. Never downloads a browser."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

# Playwright's sync API keeps an event loop running in the test thread; Django would then refuse
# ORM calls from that thread. The test code is still synchronous, so this check can go.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GOVERN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AsgiLiveServer:
    def __init__(self):
        import uvicorn

        from govern.asgi import application

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="websockets"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("ASGI test server did not start")
            time.sleep(0.05)

    def call(self, fn, /, *args, **kwargs):
        """Run a sync callable the way a request handled by this server would (a worker thread
        of the server's event loop), so live events it publishes on commit reach the in-memory
        channel layer on that loop and the pages connected to it. Returns fn's result."""
        import asyncio

        from channels.db import database_sync_to_async

        loop = self.server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(database_sync_to_async(fn)(*args, **kwargs), loop).result(30)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def asgi_live_server(transactional_db, settings):
    """The real app over HTTP and WebSockets on a random port (test database, same process)."""
    settings.ALLOWED_HOSTS = ["*"]
    server = AsgiLiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _playwright_browser():
    if not chromium_available():
        pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(_playwright_browser):
    return _playwright_browser


@pytest.fixture
def phone_context(browser):
    """A phone-sized context (iPhone-ish), Chinese by default, geolocation allowed at the demo area."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"latitude": 30.905, "longitude": 120.805},
        permissions=["geolocation"],
    )
    yield context
    context.close()


@pytest.fixture
def desktop_context(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    yield context
    context.close()


def in_thread(fn, timeout: float = 300):
    """Run setup that publishes live events off this thread: Playwright keeps an event loop
    running here, and the on-commit delivery (async_to_sync) refuses to run inside one."""
    from django.db import connections

    result = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as exc:  # re-raised in the test thread
            result["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=timeout)
    if "error" in result:
        raise result["error"]
    return result["value"]


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")  # not the language switch in the top bar


def wait_until(page, expression: str, arg=None, timeout: float = 30_000, interval: float = 0.05) -> None:
    """Wait until a JavaScript expression (or "() => ..." function) is truthy on the page.

    Polls from Python with page.evaluate rather than page.wait_for_function: Playwright re-runs a
    waited-for expression with eval() from the page's own timers, which our Content-Security-Policy
    (script-src 'self', no 'unsafe-eval') refuses, so any wait that needed a second look failed.
    A direct evaluate is a DevTools call, outside the page's CSP, like a user looking at the screen."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} ms waiting for: {expression}")
        page.wait_for_timeout(interval * 1000)


def accepted_report(*, office, description: str = "消防通道被电动车堵住"):
    """An anonymous phone report with a photo in the test grid, accepted at triage by `office`:
    the starting point of the dispatch and notification walks."""
    from hazards.reports.services import hazard_report
    from hazards.triage.services import hazard_triage
    from tests.hazards.images import jpeg_bytes, upload

    hazard = hazard_report(
        reporter=None,
        category_slug="fire-passage",
        description=description,
        latitude=30.9062,
        longitude=120.8061,
        photos=[upload("p.jpg", jpeg_bytes(size=(200, 150)))],
    ).hazard
    hazard_triage(hazard_id=hazard.pk, actor=office, decision="accept")
    return hazard
