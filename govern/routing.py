"""WebSocket routes: one live endpoint for every page and client."""

from django.urls import path

from govern.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
