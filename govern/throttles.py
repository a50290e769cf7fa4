"""Throttles that count what matters.

Logins: only FAILED attempts count, per client address, so a shared office NAT full of staff
logging in is never locked out while a password-guessing client is (429 with Retry-After).
The API token view and the login page share the same counter.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class FailedLoginThrottle(SimpleRateThrottle):
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
