"""Kernel settings with their defaults (read at call time, so tests may override them).

Only `LIVE_EVENT_RETENTION` lives in govern/settings.py (it is a deployment choice read from the
environment); the rest are tuning knobs with sane defaults.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def live_event_retention() -> timedelta:
    """How long the outbox keeps events; a client whose position is older must resync."""
    return getattr(settings, "LIVE_EVENT_RETENTION", timedelta(days=7))


def live_replay_limit() -> int:
    """Most events one replay streams; beyond that a reload is cheaper, so the answer is resync."""
    return int(getattr(settings, "LIVE_REPLAY_LIMIT", 1000))


def live_sync_interval() -> float:
    """Seconds between a server process's outbox scans. A scan delivers events whose channel-layer
    send was lost (layer down, group expired, a publisher in another process in embedded mode) to
    the sockets of that process, and advances their positions. One query per process per scan."""
    return float(getattr(settings, "LIVE_SYNC_INTERVAL", 10.0))


def live_reauthorize_interval() -> float:
    """Seconds after which an open socket re-checks its user (logged out, deactivated, roles or
    grids changed) and its topics, and refreshes its channel-layer group memberships."""
    return float(getattr(settings, "LIVE_REAUTHORIZE_INTERVAL", 300.0))


def live_send_timeout() -> float:
    """Seconds a send to one group may take before it is given up (the event stays replayable)."""
    return float(getattr(settings, "LIVE_SEND_TIMEOUT", 2.0))


def live_send_wait() -> float:
    """Seconds a publishing request waits for its sends after the commit before answering; a
    send still under way then finishes in the background (a slow channel layer delays nobody)."""
    return float(getattr(settings, "LIVE_SEND_WAIT", 0.1))
