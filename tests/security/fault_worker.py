"""Test-only Celery entry point: the real app (govern.celery: real tasks, real settings, real Redis
broker) with one fault injected, for tests/security/test_worker_faults.py:

    celery -A tests.security.fault_worker worker ...

Two environment variables, both optional:

- FAULT_TRANSPORT_OPTIONS: JSON merged into broker_transport_options (a short visibility timeout,
  fast restore sweeps, unacked keys of the test's own so it never restores anyone else's messages).
- FAULT_STALL="<module>:<function>:<n>:<marker path>", several separated by ";": the n-th call of
  that service in a process runs to the end (its transaction commits, or for an inner helper, its
  writes are done inside the still-open transaction) and then, instead of returning, the process
  writes {"pid", "task_id"} to the marker and sleeps. The task's message is delivered but not
  acknowledged (acks_late): the test SIGKILLs the process right there. Each marker is created
  exclusively, so each stall happens once even when a pool child is replaced, and a stall is armed
  only once the previous ones in the list have happened (one kill after another, in order).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import time

from celery import current_task
from celery.signals import task_prerun

from govern.celery import app

_options = json.loads(os.environ.get("FAULT_TRANSPORT_OPTIONS") or "{}")
if _options:
    app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}), **_options}

_installed = False


def _install_stall(index: int, spec: str, markers: list[str]) -> None:
    module_name, function_name, nth, marker = spec.split(":", 3)
    module = importlib.import_module(module_name)
    real = getattr(module, function_name)
    calls = {"n": 0}

    @functools.wraps(real)
    def stalled(*args, **kwargs):
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] >= int(nth) and not os.path.exists(marker) and all(os.path.exists(m) for m in markers[:index]):
            try:
                fd = os.open(marker + ".tmp", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:  # stalled once already (a replaced pool child, a re-run)
                return result
            with os.fdopen(fd, "w") as out:
                json.dump({"pid": os.getpid(), "task_id": current_task.request.id}, out)
            os.rename(marker + ".tmp", marker)  # the test never reads half a marker
            time.sleep(3600)  # until the test's SIGKILL
        return result

    setattr(module, function_name, stalled)


@task_prerun.connect
def _install_once(**_kwargs):
    """In the process that runs tasks (the solo worker itself, or a prefork pool child), once."""
    global _installed
    if not _installed:
        _installed = True
        specs = [spec for spec in (os.environ.get("FAULT_STALL") or "").split(";") if spec]
        markers = [spec.split(":", 3)[3] for spec in specs]
        for index, spec in enumerate(specs):
            _install_stall(index, spec, markers)
