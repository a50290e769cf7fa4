"""Issuing and checking client API keys (Open311 clients). Keys are stored hashed."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from govern.models import ApiClient


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


@transaction.atomic
def api_client_issue(*, name: str, contact_email: str = "", raw_key: str | None = None) -> tuple[ApiClient, str]:
    """Create a client with a new key; returns (client, raw key). The raw key is never stored."""
    raw_key = raw_key or secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name, contact_email=contact_email, key_prefix=raw_key[:8], key_hash=hash_key(raw_key)
    )
    return client, raw_key


@transaction.atomic
def api_client_rotate_key(*, client_id: int) -> str:
    """Replace a client's key (the old one stops working at once); returns the new raw key."""
    client = ApiClient.objects.select_for_update().get(pk=client_id)
    raw_key = secrets.token_urlsafe(32)
    client.key_prefix, client.key_hash = raw_key[:8], hash_key(raw_key)
    client.save(update_fields=["key_prefix", "key_hash"])
    return raw_key


def api_client_for_key(raw_key: str | None) -> ApiClient | None:
    """The active client owning this key, or None (empty, unknown or deactivated)."""
    if not raw_key:
        return None
    return ApiClient.objects.filter(key_hash=hash_key(raw_key), active=True).first()
