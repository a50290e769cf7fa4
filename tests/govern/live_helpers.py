"""Helpers for the live-road tests: sockets against the real ASGI application (origin check,
session/token middleware, routing, consumer) and publishing the way services do."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from govern.asgi import application
from govern.live import publish
from govern.roles import ALL_ROLES


def ensure_roles() -> None:
    """Transactional tests flush the role groups that migration 0002 created; put them back."""
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


def fresh_channel_layer() -> None:
    """A new layer instance for the next test (the in-memory layer keeps groups of dead sockets)."""
    channel_layers.backends = {}


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def publish_now(topics, type, data):  # noqa: A002
    """Publish in its own committed transaction, as a service would; returns the event id."""
    with transaction.atomic():
        return publish(topics, type, data).pk


apublish = database_sync_to_async(publish_now)


async def open_socket(query: str = "", *, cookie: bytes | None = None, headers=None) -> WebsocketCommunicator:
    all_headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        all_headers.append((b"cookie", cookie))
    all_headers += headers or []
    communicator = WebsocketCommunicator(application, "/ws/live/" + (f"?{query}" if query else ""), headers=all_headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def expect_close(communicator: WebsocketCommunicator, code: int) -> None:
    message = await communicator.receive_output(timeout=5)
    assert message == {"type": "websocket.close", "code": code}, message
    await communicator.disconnect(code=code)  # what the server does next; lets the consumer finish


async def receive_events(communicator: WebsocketCommunicator, n: int, timeout: float = 5) -> list[dict]:
    return [await communicator.receive_json_from(timeout=timeout) for _ in range(n)]


async def quiet(communicator: WebsocketCommunicator, timeout: float = 0.3) -> bool:
    return await communicator.receive_nothing(timeout=timeout)
