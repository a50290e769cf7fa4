"""Abuse limits for anonymous reports, shared by the API and the no-JavaScript form.

Both paths count against the same cache key (scope "anon_report" + client address), so a
client cannot double its allowance by switching between them. Logged-in reporters are not
throttled here (their reports carry their identity).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from govern.client_address import ClientAddressIdent

ANON_REPORT_SCOPE = "anon_report"


class AnonReportThrottle(ClientAddressIdent, ScopedRateThrottle):
    """ScopedRateThrottle("anon_report") applied to anonymous POSTs only."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's attribute name; read live so settings overrides apply
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        user = getattr(request, "user", None)
        if request.method != "POST" or (user is not None and user.is_authenticated):
            return True
        return super().allow_request(request, view)


class CodeLookupThrottle(ClientAddressIdent, ScopedRateThrottle):
    """Tracking-code lookups (scope "code_lookup"): makes guessing codes pointless."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802
        return api_settings.DEFAULT_THROTTLE_RATES


class _ScopeHolder:
    throttle_scope = ANON_REPORT_SCOPE


def anon_report_wait(request) -> float | None:
    """For plain Django views: None when the request may go on, else seconds to wait."""
    throttle = AnonReportThrottle()
    if throttle.allow_request(request, _ScopeHolder()):
        return None
    return throttle.wait() or 1.0
