"""The periodic jobs in embedded mode, in the server process: `make run` needs no `celery beat`.

Services mode runs `celery beat` (CELERY_BEAT_SCHEDULE) next to the workers. Embedded mode has no
broker and no second process, so without this late offers would never expire, overdue tasks never
be flagged and silent volunteers stay on duty for ever. Here a daemon thread of the ASGI server
runs the same schedule: each entry when it is due (celery's own schedule objects decide), one job
at a time, logging and carrying on when one fails. Jobs are idempotent, so a restart that runs one
early, or two server processes running the same one, does no harm.

A job runs the way a request would: on a worker thread of the server's event loop once the server
has taken a request (so live events it publishes reach the in-memory channel layer's consumers on
that loop), and directly before that (nobody is connected yet; the events stay in the replay log).

`EMBEDDED_BEAT` (settings, default: on in embedded mode) turns it off, as the test settings do;
`EMBEDDED_BEAT_MAX_INTERVAL` (seconds, environment) shortens every interval, for a quick demo or a
test.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

_started = threading.Lock()
_thread: threading.Thread | None = None
_loop: asyncio.AbstractEventLoop | None = None


def enabled() -> bool:
    default = not getattr(settings, "REDIS_URL", "") and getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    return bool(getattr(settings, "EMBEDDED_BEAT", default))


def _max_interval() -> timedelta | None:
    value = os.environ.get("EMBEDDED_BEAT_MAX_INTERVAL", "").strip()
    return timedelta(seconds=float(value)) if value else None


def _schedules() -> dict:
    """{entry name: (task name, celery schedule)} from CELERY_BEAT_SCHEDULE."""
    from celery.schedules import maybe_schedule, schedule

    cap = _max_interval()
    out = {}
    for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        every = entry["schedule"]
        if cap is not None and isinstance(every, timedelta) and every > cap:
            every = cap
        out[name] = (entry["task"], schedule(every) if isinstance(every, timedelta) else maybe_schedule(every))
    return out


def _run_job(task_name: str) -> None:
    from govern.celery import app

    close_old_connections()
    try:
        app.tasks[task_name].apply(throw=True)
    except Exception:  # one failing job must not stop the others
        logger.exception("embedded beat: %s failed", task_name)
    finally:
        close_old_connections()


def run(task_name: str) -> None:
    """Run one job now, on the server's loop when there is one (see the module docstring)."""
    loop = _loop
    if loop is not None and loop.is_running():
        from asgiref.sync import sync_to_async

        future = asyncio.run_coroutine_threadsafe(sync_to_async(_run_job, thread_sensitive=False)(task_name), loop)
        future.result(timeout=600)
    else:
        _run_job(task_name)


def _loop_forever(stop: threading.Event) -> None:
    from govern.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules (a worker would import them)
    schedules = _schedules()
    last_run = dict.fromkeys(schedules)
    while not stop.is_set():
        now = timezone.now()
        wait = 60.0
        for name, (task_name, every) in schedules.items():
            if last_run[name] is None:
                due, next_in = True, every.remaining_estimate(now).total_seconds()
            else:
                due, next_in = every.is_due(last_run[name])
            if due:
                last_run[name] = timezone.now()
                run(task_name)
                next_in = every.remaining_estimate(last_run[name]).total_seconds()
            wait = min(wait, max(0.5, next_in))
        stop.wait(wait)


def start() -> threading.Thread | None:
    """Start the scheduler thread once per process (when enabled)."""
    global _thread
    if not enabled():
        return None
    with _started:
        if _thread is None:
            _thread = threading.Thread(
                target=_loop_forever, args=(threading.Event(),), name="embedded-beat", daemon=True
            )
            _thread.start()
            logger.info("embedded beat: running %d periodic jobs in this process", len(_schedules()))
    return _thread


class EmbeddedBeatMiddleware:
    """ASGI wrapper: starts the scheduler with the server and remembers the server's event loop."""

    def __init__(self, app):
        self.app = app
        self.on = enabled()
        if self.on:
            start()

    async def __call__(self, scope, receive, send):
        global _loop
        if self.on and _loop is None:
            _loop = asyncio.get_running_loop()
        return await self.app(scope, receive, send)
