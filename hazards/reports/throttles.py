"""Abuse limits for anonymous reports, shared by the API and the no-JavaScript form.

Both paths count against the same cache key (scope "anon_report" + client address, or
"user_report" + the user for signed-in reporters, whose allowance is larger since their reports
carry their identity), so a client cannot double its allowance by switching between them.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from govern.client_address import ClientAddressIdent
from govern.throttles import ScopeThrottle, scope_wait

ANON_REPORT_SCOPE = "anon_report"
USER_REPORT_SCOPE = "user_report"


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


class UserReportThrottle(ScopeThrottle):
    """Reports of signed-in reporters, per user ("user_report"); anonymous ones are AnonReportThrottle's."""

    def __init__(self):
        super().__init__(USER_REPORT_SCOPE)

    def allow_request(self, request, view):
        user = getattr(request, "user", None)
        if request.method != "POST" or user is None or not user.is_authenticated:
            return True
        return super().allow_request(request, view)


class CodeLookupThrottle(ClientAddressIdent, ScopedRateThrottle):
    """Tracking-code lookups (scope "code_lookup"): makes guessing codes pointless."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802
        return api_settings.DEFAULT_THROTTLE_RATES


class _ScopeHolder:
    throttle_scope = ANON_REPORT_SCOPE


def report_wait(request) -> float | None:
    """For plain Django views: None when the report may go on, else seconds to wait."""
    if request.user.is_authenticated:
        return scope_wait(USER_REPORT_SCOPE, request)
    throttle = AnonReportThrottle()
    if throttle.allow_request(request, _ScopeHolder()):
        return None
    return throttle.wait() or 1.0


class _LookupScope:
    throttle_scope = "code_lookup"


def code_lookup_wait(request) -> float | None:
    """The tracking pages count against the same "code_lookup" key as their API twin."""
    throttle = CodeLookupThrottle()
    if throttle.allow_request(request, _LookupScope()):
        return None
    return throttle.wait() or 1.0
