"""`make run` runs the periodic jobs itself: an offer whose accept deadline passes expires while
nothing but the one server process runs (no celery beat, no worker).

The server is the real thing `make run` starts (migrate, seed_demo, `manage.py runserver`) on its
own SQLite file, in embedded mode whatever mode the suite runs in. EMBEDDED_BEAT_MAX_INTERVAL
shortens the schedule's minute to two seconds so the test does not wait a minute.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SERVICES_MODE

ROOT = Path(__file__).resolve().parents[2]


def _env(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="govern.settings",
        DJANGO_DEBUG="1",
        GOVERN_VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        PHOTO_QUARANTINE_ROOT=str(var_dir / "quarantine"),
        EMBEDDED_BEAT_MAX_INTERVAL="2",
        PYTHONPATH=str(ROOT),
    )
    return env


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(db: Path, task_id: int) -> str:
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute("SELECT status FROM hazards_task WHERE id = ?", (task_id,)).fetchone()[0]


@pytest.mark.skipif(SERVICES_MODE, reason="about embedded mode (make run): the embedded pass runs it")
def test_an_offer_expires_in_make_run_without_another_process(tmp_path):
    env = _env(tmp_path)
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    db = tmp_path / "govern.sqlite3"
    with sqlite3.connect(db, timeout=20) as conn:
        task_id = conn.execute("SELECT id FROM hazards_task WHERE status = 'offered' ORDER BY id LIMIT 1").fetchone()[0]
        # The offer's accept deadline passes two seconds from now (the demo gives it an hour).
        deadline = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 2))
        conn.execute("UPDATE hazards_task SET accept_deadline = ? WHERE id = ?", (deadline, task_id))
    assert _status(db, task_id) == "offered"

    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - the server writes to it until killed
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline_at = time.monotonic() + 60
        while time.monotonic() < deadline_at and _status(db, task_id) == "offered":
            assert server.poll() is None, (tmp_path / "server.log").read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        assert _status(db, task_id) == "expired", (tmp_path / "server.log").read_text(errors="replace")[-3000:]
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        log.close()


def test_the_scheduler_is_off_in_services_mode_and_in_tests(settings):
    from govern import embedded_beat

    assert embedded_beat.enabled() is False  # tests/settings.py turns it off
    settings.EMBEDDED_BEAT = True
    assert embedded_beat.enabled() is True
    del settings.EMBEDDED_BEAT
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert embedded_beat.enabled() is False  # services mode: celery beat runs the schedule


@pytest.mark.parametrize("cap, expected", [("", 60.0), ("2", 2.0)])
def test_every_beat_entry_is_scheduled_at_most_the_cap_apart(monkeypatch, cap, expected):
    from govern import embedded_beat

    monkeypatch.setenv("EMBEDDED_BEAT_MAX_INTERVAL", cap)
    schedules = embedded_beat._schedules()
    assert {task for task, _every in schedules.values()} >= {
        "hazards.tasks.escalate_tasks",
        "rewards.tasks.expire_redemptions",
        "volunteers.tasks.expire_silent_duty",
        "govern.tasks.prune_live_events",
    }
    escalation = schedules["hazards-escalate-tasks"][1]
    assert escalation.run_every.total_seconds() == expected
