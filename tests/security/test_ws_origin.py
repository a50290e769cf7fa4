"""Issue 21 item 14: the WebSocket origin check compares scheme, host and port with the site's own
origin, and ALLOWED_HOSTS=* does not switch it off.

The validator wraps a socket that accepts everything, so what is refused is refused by the check.
"""

from __future__ import annotations

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from govern.ws_auth import ForeignOriginValidator

# The consumer closes stale database connections on each message (channels), so these tests may
# touch the database even though they need no rows.
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


class _Accept(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()


async def _connects(headers, scheme=None) -> bool:
    communicator = WebsocketCommunicator(ForeignOriginValidator(_Accept.as_asgi()), "/ws/live/", headers=headers)
    if scheme:
        communicator.scope["scheme"] = scheme
    try:
        connected, _ = await communicator.connect(timeout=5)
    finally:
        # Refused or not, end the application's future here, not in the event loop's teardown
        # (a refused socket left pending hung the loop's close in services mode).
        await communicator.disconnect(timeout=5)
    return connected


def _h(origin: str | None, host: str = "govern.example.org", proto: str | None = None):
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if proto:
        headers.append((b"x-forwarded-proto", proto.encode()))
    return headers


@pytest.mark.parametrize("allowed", [["govern.example.org"], ["*"]])
async def test_only_the_sites_own_scheme_host_and_port_pass(settings, allowed):
    settings.ALLOWED_HOSTS = allowed
    settings.SITE_URL = ""
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Behind the TLS proxy: the page is https, the socket plain ws with X-Forwarded-Proto.
    assert await _connects(_h("https://govern.example.org", proto="https"))
    assert await _connects(_h("https://govern.example.org:443", proto="https"))
    assert await _connects(_h("https://govern.example.org"), scheme="wss")
    # Same host, wrong scheme or port: another origin (another server on the host, or plain http).
    assert not await _connects(_h("http://govern.example.org", proto="https"))
    assert not await _connects(_h("https://govern.example.org:8443", proto="https"))
    assert not await _connects(_h("https://govern.example.org"))  # the socket itself is plain http
    # Another site, also with ALLOWED_HOSTS=*.
    assert not await _connects(_h("https://evil.example", proto="https"))
    assert not await _connects(_h("https://govern.example.org.evil.example", proto="https"))
    assert not await _connects(_h("null", proto="https"))
    # No Origin: not a browser, so no cookies to hijack.
    assert await _connects(_h(None))


async def test_a_host_outside_allowed_hosts_is_not_our_origin(settings):
    settings.ALLOWED_HOSTS = ["govern.example.org"]
    settings.SITE_URL = ""
    settings.CSRF_TRUSTED_ORIGINS = []
    assert not await _connects(_h("http://rebound.example", host="rebound.example"))
    assert await _connects(_h("http://govern.example.org"))


async def test_site_url_and_trusted_origins_are_ours_with_their_scheme_and_port(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://govern.example.org"
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.govern.example.org:8443"]
    internal = "10.0.0.5:8001"
    assert await _connects(_h("https://govern.example.org", host=internal))
    assert await _connects(_h("https://app.govern.example.org:8443", host=internal))
    assert not await _connects(_h("https://app.govern.example.org", host=internal))
    assert not await _connects(_h("http://govern.example.org", host=internal))
