"""Enterprise key authentication for `POST /api/v1/alerts/`, its permission and its throttle.

The key goes in a header — `X-Api-Key: <key>` or `Authorization: Api-Key <key>` — never in the
URL (query strings end up in proxy logs). No key: 401 with `WWW-Authenticate: Api-Key`. An
unknown or revoked key: 401. A valid key that is not an enterprise's sensor key (an Open311
client's, say): 403. User logins (tokens, sessions) do not count here: sensors are machines.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from govern.api_keys import api_client_for_key
from govern.client_address import ClientAddressIdent
from govern.models import ApiClient
from hazards.premises.alerts.selectors import enterprise_for_client

KEYWORD = "Api-Key"
HEADER = "X-Api-Key"


def key_from_request(request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is not None:
        return raw.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _sep, rest = authorization.partition(" ")
    if scheme.lower() == KEYWORD.lower():
        return rest.strip()
    return None


class EnterpriseKeyAuthentication(BaseAuthentication):
    """request.user stays anonymous; request.auth is the govern.ApiClient owning the key."""

    def authenticate(self, request):
        raw = key_from_request(request)
        if raw is None:
            return None
        if not raw:
            raise exceptions.AuthenticationFailed(_("The API key header is empty."))
        client = api_client_for_key(raw)
        if client is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid (unknown or revoked)."))
        return AnonymousUser(), client

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


class IsEnterpriseKey(BasePermission):
    message = gettext_lazy("This API key is not an enterprise sensor key (or the enterprise is inactive).")

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ApiClient):
            raise exceptions.NotAuthenticated(
                _("Send your enterprise's sensor key in the X-Api-Key header (or Authorization: Api-Key <key>).")
            )
        premises = enterprise_for_client(request.auth)
        if premises is None:
            return False
        request.enterprise = premises
        return True


class SensorAlertThrottle(ClientAddressIdent, SimpleRateThrottle):
    """Per key, so one broken gateway is throttled alone (429 with Retry-After)."""

    scope = "sensor_alert"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = request.auth.pk if isinstance(request.auth, ApiClient) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class EnterpriseKeyScheme(OpenApiAuthenticationExtension):
    target_class = "hazards.premises.alerts.auth.EnterpriseKeyAuthentication"
    name = "EnterpriseApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": HEADER,
            "description": "An enterprise sensor key (issued once: `manage.py alert_key_issue`). "
            "`Authorization: Api-Key <key>` works too.",
        }
