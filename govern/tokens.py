"""API tokens that expire and are revoked (issue 21 item 17).

DRF's authtoken keys never expired and survived a logout or a password change: a token copied
from a lost phone stayed good for ever. Here a token is good for API_TOKEN_TTL (30 days unless
API_TOKEN_TTL_HOURS says otherwise) from when it was issued; `POST /api/v1/auth/token/` issues a
fresh one when the old one has expired; logging out of the site and changing the password delete
the user's tokens (govern.token_signals). The WebSocket token check uses the same rule.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def expired(token: Token, now=None) -> bool:
    return token.created <= (now or timezone.now()) - settings.API_TOKEN_TTL


def token_for(user) -> Token:
    """The user's token, a new one when theirs has expired."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def revoke_tokens(*, user_id: int) -> None:
    Token.objects.filter(user_id=user_id).delete()


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused (401) once the token is older than API_TOKEN_TTL."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if expired(token):
            raise AuthenticationFailed(_("This token has expired: obtain a new one."))
        return user, token
