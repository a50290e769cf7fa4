"""The client's address for throttles: REMOTE_ADDR, or the Nth-from-last X-Forwarded-For entry.

DRF's own `get_ident` with NUM_PROXIES unset (None) returns the whole X-Forwarded-For header as the
identity, so a client that sends a new header value with each request gets a new allowance each
time (issue 21: unlimited password guesses). Here NUM_PROXIES is always a number: 0 (the default)
means "nothing in front that we trust": the header is ignored and REMOTE_ADDR is the client. Behind
the deploy/ nginx, uvicorn itself replaces the socket address with the forwarded one (it trusts
127.0.0.1 only), so 0 stays right there; NUM_PROXIES=N counts extra proxies that append to the
header without uvicorn rewriting it.
"""

from __future__ import annotations

from django.conf import settings


def num_proxies() -> int:
    value = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    return int(value or 0)


def client_address(request) -> str:
    meta = getattr(request, "META", None) or request._request.META
    remote = meta.get("REMOTE_ADDR") or ""
    proxies = num_proxies()
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    # The last `proxies` entries were appended by our proxies; the one before them is the client
    # as our outermost proxy saw it. Anything further left is the client's own claim.
    return hops[-min(proxies, len(hops))]


class ClientAddressIdent:
    """Mixin for DRF throttles: key on client_address(), never on the raw header."""

    def get_ident(self, request):
        return client_address(request)
