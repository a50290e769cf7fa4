"""Throttles that count what matters.

API keys: each organisation's key has its own allowance per scope (ApiKeyThrottle), so one
client's runaway script or broken sensor cannot crowd out the others.

Logins: only FAILED attempts count, per client address, so a shared office NAT full of staff
logging in is never locked out while a password-guessing client is (429 with Retry-After).
The API token view and the login page share the same counter.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from govern.client_address import ClientAddressIdent


class FailedLoginThrottle(ClientAddressIdent, SimpleRateThrottle):
    scope = "login"

    def get_rate(self):
        # Read the rate when used (DRF binds it at import), so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def allow_request(self, request, view=None):
        if self.rate is None:
            return True
        self._load(request)
        return len(self.history) < self.num_requests or self.throttle_failure()

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class ApiKeyThrottle(SimpleRateThrottle):
    """Requests per API client (not per address: one organisation posts from many machines).

    `ApiKeyThrottle(scope).wait(client_id)` is None when the request may go on, else the seconds
    to wait (for a 429 with Retry-After). The rate is DEFAULT_THROTTLE_RATES[scope].
    """

    def __init__(self, scope: str):
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate) if self.rate else (None, None)

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view=None):  # keyed by client id through wait(); unused
        return None

    def wait_for(self, client_id: int) -> float | None:
        if self.rate is None:
            return None
        self.key = self.cache_format % {"scope": self.scope, "ident": f"client-{client_id}"}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.wait() or 1.0
        self.throttle_success()
        return None


class ScopeThrottle(ClientAddressIdent, SimpleRateThrottle):
    """Requests in one named scope, per signed-in user, else per client address.

    Used both as a DRF throttle (`get_throttles` returns an instance) and from plain Django views
    through `scope_wait`, so a page and its API twin share one counter. The rate is
    DEFAULT_THROTTLE_RATES[scope], read when used; a scope without a rate is not limited.
    """

    def __init__(self, scope: str, *, by_address: bool = False):
        self.scope = scope
        # Sign-ups count per address even when signed in: each one signs in as a new user.
        self.by_address = by_address
        super().__init__()

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view=None):
        user = getattr(request, "user", None)
        signed_in = not self.by_address and user is not None and user.is_authenticated
        ident = f"user-{user.pk}" if signed_in else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def scope_wait(scope: str, request, *, by_address: bool = False) -> float | None:
    """Count this request in `scope`: None when it may go on, else the seconds to wait."""
    throttle = ScopeThrottle(scope, by_address=by_address)
    if throttle.allow_request(request, None):
        return None
    return throttle.wait() or 1.0
