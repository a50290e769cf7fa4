"""live.js in headless Chromium against the real ASGI server: events handled as they come, and a
dropped connection that comes back misses nothing and repeats nothing."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from channels.db import database_sync_to_async

from govern.live import user_topic
from govern.roles import RESIDENT
from tests.browser.harness import wait_until
from tests.factories import UserFactory
from tests.govern.live_helpers import ensure_roles, fresh_channel_layer, publish_now

pytestmark = pytest.mark.browser


def publish_in_server(server, topics, type_, data) -> int:
    """Publish the way a request handled by this server would: from a sync thread of the
    server's event loop, so that the on-commit send reaches the in-memory layer on that loop."""
    loop = server.server.servers[0].get_loop()
    return asyncio.run_coroutine_threadsafe(database_sync_to_async(publish_now)(topics, type_, data), loop).result(10)


def login(page, base_url: str, username: str, password: str) -> None:
    # Not harness.login: its "button[type=submit]" hits the header's language switch first.
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def row_ids(page) -> list[int]:
    return [
        int(v)
        for v in page.eval_on_selector_all("#live-events tr[data-event-id]", "rows => rows.map(r => r.dataset.eventId)")
    ]


def wait_for_row(page, event_id: int) -> None:
    page.wait_for_selector(f'#live-events tr[data-event-id="{event_id}"]', timeout=15000)


def test_live_js_handles_events_and_resumes_after_a_drop_without_loss_or_duplicates(
    asgi_live_server, phone_context, settings
):
    settings.LIVE_SYNC_INTERVAL = 600  # recovery must come from live.js resuming, not the outbox scan
    fresh_channel_layer()
    ensure_roles()
    resident = UserFactory(username="live-browser", roles=[RESIDENT])
    topic = user_topic(resident.pk)
    before = publish_now([topic], "points.changed", {"balance": 1})  # rendered by the server

    page = phone_context.new_page()
    link = {"block": False, "open": []}

    def route(ws):
        # A pass-through proxy the test can cut, as a lift cuts a phone's connection.
        if link["block"]:
            ws.close(code=1001, reason="network down")
            return
        server = ws.connect_to_server()
        link["open"].append((ws, server))

    page.route_web_socket(re.compile(r".*/ws/live/.*"), route)
    login(page, asgi_live_server.url, "live-browser", "pw-govern-test")
    page.goto(asgi_live_server.url + "/live/status/")
    assert page.locator("body").get_attribute("data-last-event-id") == str(before)
    page.wait_for_selector('#live-state[data-state="open"]', timeout=15000)
    assert row_ids(page) == [before]

    first = publish_in_server(asgi_live_server, [topic], "points.changed", {"balance": 2})
    wait_for_row(page, first)
    assert page.locator("#live-received").inner_text() == "1"

    # The connection drops and stays down while five events happen.
    link["block"] = True
    for ws, server in link["open"]:
        ws.close(code=1001, reason="network down")
        server.close()
    page.wait_for_selector('#live-state[data-state="reconnecting"]', timeout=15000)
    assert page.locator("#live-status").is_visible()  # base.html's "Reconnecting…" pill
    missed = [publish_in_server(asgi_live_server, [topic], "points.changed", {"balance": 10 + n}) for n in range(5)]
    page.wait_for_timeout(700)  # let at least one reconnect attempt fail against the dead link
    assert row_ids(page) == [first, before]

    link["block"] = False
    wait_for_row(page, missed[-1])  # resumed after `first`: the five are replayed
    page.wait_for_selector('#live-state[data-state="open"]', timeout=15000)
    assert not page.locator("#live-status").is_visible()
    after = publish_in_server(
        asgi_live_server, [topic], "system.notice", {"text": "恢复", "level": "info", "sender": None}
    )
    wait_for_row(page, after)

    ids = row_ids(page)
    assert ids == [after, *reversed(missed), first, before]  # newest first, each exactly once
    assert page.locator("#live-received").inner_text() == "7"
    assert page.evaluate("window.governLiveStatus.lastEventId") == after
    assert page.locator(f'tr[data-event-id="{after}"]').inner_text().count("恢复") == 1


def test_an_anonymous_page_follows_a_tracking_code(asgi_live_server, phone_context):
    """GovernLive.connect({track}) from a page with no session: only that hazard's events."""
    fresh_channel_layer()
    page = phone_context.new_page()
    page.goto(asgi_live_server.url + "/")
    page.add_script_tag(url="/static/js/live.js")
    page.evaluate(
        """() => { window.got = [];
        window.conn = GovernLive.connect({track: "K7QX9M", lastEventId: "",
          handlers: {"hazard.status_changed": (data, msg) => window.got.push(msg.id)}}); }"""
    )
    wait_until(page, "() => window.conn.state === 'open'", timeout=15000)
    publish_in_server(asgi_live_server, ["hazard:OTHER999"], "hazard.status_changed", {"to": "verified"})
    mine = publish_in_server(asgi_live_server, ["hazard:K7QX9M"], "hazard.status_changed", {"to": "dispatched"})
    wait_until(page, "() => window.got.length > 0", timeout=15000)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:  # give a wrongly delivered event the chance to show up
        page.wait_for_timeout(100)
    assert page.evaluate("window.got") == [mine]
