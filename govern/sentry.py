"""Optional error reporting: Sentry when SENTRY_DSN is set and sentry-sdk is installed.

sentry-sdk is not a dependency of govern (pip install sentry-sdk where you want it). Events carry
no personal data by default (send_default_pii off), and messages, breadcrumbs and request URLs go
through the same redaction as the logs (tokens, keys, phone numbers)."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def _scrub(value):
    from govern.logs import redact

    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def before_send(event, hint):
    return _scrub(event)


def init_sentry(dsn: str) -> bool:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:
        logger.warning("SENTRY_DSN is set but sentry-sdk is not installed: errors are only logged")
        return False
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        send_default_pii=False,
        before_send=before_send,
        before_breadcrumb=lambda crumb, hint: _scrub(crumb),
    )
    return True
