"""WebSocket authentication and origin checks for /ws/live/.

- Browsers authenticate with the session cookie. A browser always sends `Origin` on a WebSocket
  handshake; one from a site that is not ours is refused (cross-site WebSocket hijacking).
- Other clients (apps, scripts, the benchmark) send a DRF token, preferably in an
  `Authorization: Token <key>` header, or as `?token=<key>` where headers cannot be set (note that
  query strings may end up in proxy access logs). A token that does not resolve to an active user
  is refused with 4401 rather than silently treated as anonymous.

The consumer reads `scope["user"]` and `scope["live_auth"]`: ("token", key), ("session",
session_key), ("anonymous", None) or ("bad_token", None); the first two let it re-check the
credentials of a long-lived socket.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddlewareStack, get_user
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    from govern.tokens import expired

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active or expired(token):
        return None
    return token.user


async def user_for_session(session_key: str | None):
    """The user a session (re-read from the store) belongs to, or an AnonymousUser."""
    if not session_key:
        return AnonymousUser()
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    return await get_user({"session": session})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def token_from_scope(scope) -> str:
    authorization = _header(scope, b"authorization") or ""
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() == "token" and key.strip():
        return key.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("token") or [""])[0]


class TokenAuthMiddleware(BaseMiddleware):
    """Runs inside AuthMiddlewareStack: a token, when given, decides the user alone."""

    async def __call__(self, scope, receive, send):
        key = token_from_scope(scope)
        if key:
            user = await user_for_token(key)
            auth = ("token", key) if user is not None else ("bad_token", None)
            scope = dict(scope, user=user or AnonymousUser(), live_auth=auth)
        else:
            session = scope.get("session")
            session_key = getattr(session, "session_key", None)
            user = scope.get("user")
            if user is not None and getattr(user, "is_authenticated", False):
                scope = dict(scope, live_auth=("session", session_key))
            else:
                scope = dict(scope, live_auth=("anonymous", None))
        return await super().__call__(scope, receive, send)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, with the scheme's default port filled in."""
    try:
        parsed = urlparse(url.strip())
        port = parsed.port
    except ValueError:
        return None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parsed.hostname:
        return None
    return scheme, parsed.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _handshake_scheme(scope) -> str:
    """The page scheme this handshake was made from: wss -> https. Behind the TLS-terminating
    proxy the socket is plain ws; the proxy's header decides, as SECURE_PROXY_SSL_HEADER does for
    Django's own CSRF origin check."""
    if scope.get("scheme") == "wss":
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, value = proxy_header
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        forwarded = (_header(scope, header) or "").split(",")[0].strip()
        if forwarded == value:
            return "https"
    return "http"


def site_origins(scope) -> set[tuple[str, str, int]]:
    """The site's own origins for this handshake: the scheme and Host it was made to (when the host
    is one of ALLOWED_HOSTS), SITE_URL and CSRF_TRUSTED_ORIGINS. Never a wildcard: even with
    ALLOWED_HOSTS=*, an Origin must name this very site (issue 21 item 14)."""
    from django.http.request import split_domain_port, validate_host

    origins = set()
    host = _header(scope, b"host")
    if host:
        domain, _port = split_domain_port(host.lower())
        allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
        if domain and validate_host(domain, allowed):
            own = _origin_tuple(f"{_handshake_scheme(scope)}://{host}")
            if own:
                origins.add(own)
    for url in [settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS]:
        if url and "*" not in url and (origin := _origin_tuple(url)):
            origins.add(origin)
    return origins


class ForeignOriginValidator:
    """Refuse a handshake whose Origin is not the site's own (scheme, host and port; read per
    connection, so settings overrides apply). No Origin at all means a non-browser client:
    allowed, since only a browser can be tricked into sending another site's cookies."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is not None and _origin_tuple(origin) not in site_origins(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def LiveAuthStack(inner):  # noqa: N802 - mirrors Channels' AuthMiddlewareStack
    return ForeignOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
