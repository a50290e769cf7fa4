"""Settings of the premises app, read at call time so tests and deployments can override them."""

from __future__ import annotations

from django.conf import settings


def history_limit() -> int:
    """How many of a premises' most recent hazards its API detail and page show."""
    return int(getattr(settings, "PREMISES_HISTORY_LIMIT", 20))


def import_max_rows() -> int:
    """The most rows one CSV import may have (split bigger registers)."""
    return int(getattr(settings, "PREMISES_IMPORT_MAX_ROWS", 5000))
