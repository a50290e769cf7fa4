"""ASGI entry point: HTTP through Django (static files through whitenoise), WebSockets through
Channels with session/token authentication and a same-origin check (scheme, host, port) for browsers.

The same application serves both modes: `manage.py runserver` (daphne, embedded mode) and
`uvicorn govern.asgi:application` / daphne workers (services mode)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from govern.embedded_beat import EmbeddedBeatMiddleware  # noqa: E402
from govern.routing import websocket_urlpatterns  # noqa: E402
from govern.ws_auth import LiveAuthStack  # noqa: E402

# Embedded mode runs the periodic jobs in this process (govern.embedded_beat); services mode
# leaves them to `celery beat`.
application = EmbeddedBeatMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # Origin check (browsers), then session or token authentication (govern.ws_auth).
            "websocket": LiveAuthStack(URLRouter(websocket_urlpatterns)),
        }
    )
)
