"""Faults on the real services stack: Redis (channel layer, Celery broker, cache) goes down while
residents report and a dispatcher verifies, then comes back.

A private redis-server (never the machine's shared one) serves one uvicorn process running the
production settings module (not eager). With it killed: reports, logins and verification still
answer 2xx; the points owed by the verification wait in the task outbox; the live events wait in
the event outbox. With Redis back: the outbox is sent, a Celery worker pays the points exactly
once, and a client that reconnects with its last_event_id receives every event it missed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from govern.models import LiveEvent, PendingTask
from govern.roles import DISPATCHER, GRID_WORKER
from hazards.demo import seed_categories, seed_rules
from hazards.dispatch import services as dispatch
from hazards.models import Hazard, Status, Task
from hazards.reports.services import hazard_report
from hazards.triage.services import hazard_triage
from rewards.models import PointsAward
from tests.factories import UserFactory, make_grid
from tests.govern.live_helpers import ensure_roles, token_for
from tests.govern.test_live_services import ROOT, Proc, _free_port, _test_database_url, _wait_for_port
from tests.hazards.images import jpeg_bytes, upload
from tests.security.summary import record

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class PrivateRedis:
    def __init__(self, port: int):
        self.port = port
        self.proc: Proc | None = None

    def start(self) -> PrivateRedis:
        self.proc = Proc(
            f"redis:{self.port}",
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            dict(os.environ),
        )
        _wait_for_port(self.port, self.proc)
        return self

    def kill(self) -> None:
        self.proc.popen.kill()
        self.proc.popen.wait(timeout=10)


def _env(redis_port: int, media_root) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govern.settings",  # not tests.settings: Celery is not eager here
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MEDIA_ROOT": str(media_root),
        "THROTTLE_ANON_REPORT": "1000/min",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def _world():
    ensure_roles()
    seed_rules(seed_categories())
    worker = UserFactory(username="fixer", roles=[GRID_WORKER])
    # The server runs the production settings, whose hashers do not read the tests' MD5 hashes.
    worker.password = PBKDF2PasswordHasher().encode("fixer-password-1", PBKDF2PasswordHasher().salt())
    worker.save(update_fields=["password"])
    office = UserFactory(username="office", roles=[DISPATCHER])
    grid = make_grid(west=120.80, south=30.90, workers=[worker])
    hazard = hazard_report(
        reporter=None,
        category_slug="fire-passage",
        description="通道堵塞",
        latitude=30.906,
        longitude=120.806,
        photos=[upload("a.jpg", jpeg_bytes(size=(120, 90)))],
    ).hazard
    hazard_triage(hazard_id=hazard.pk, actor=office, decision="accept")
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=office, assignee_id=worker.pk).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=worker)
    dispatch.task_start(task_id=task.pk, actor=worker)
    dispatch.task_complete(
        task_id=task.pk, actor=worker, note="清理完毕", photos=[upload("b.jpg", jpeg_bytes(size=(120, 90), seed=3))]
    )
    return grid, worker, office, task


def _report(base: str, n: int) -> requests.Response:
    files = {"photos": (f"r{n}.jpg", jpeg_bytes(size=(160, 120), seed=40 + n), "image/jpeg")}
    data = {
        "category": "gas-safety",
        "description": f"停电期间上报 {n}",
        "latitude": "30.9031",
        "longitude": "120.8031",
    }
    return requests.post(f"{base}/api/v1/hazards/", data=data, files=files, timeout=30)


async def _replay(port: int, token: str, last_event_id: int, want: set[int], timeout: float = 20) -> list[dict]:
    from websockets.asyncio.client import connect

    got: list[dict] = []
    async with connect(f"ws://127.0.0.1:{port}/ws/live/?token={token}&last_event_id={last_event_id}") as ws:
        deadline = time.monotonic() + timeout
        while not want <= {m.get("id") for m in got}:
            message = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
            got.append(message)
    return got


def test_redis_down_loses_nothing_and_refuses_nobody(tmp_path):
    grid, worker, office, task = _world()
    redis_port, web_port = _free_port(), _free_port()
    redis = PrivateRedis(redis_port).start()
    env = _env(redis_port, tmp_path)
    web = Proc(
        f"uvicorn:{web_port}",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "govern.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(web_port),
            "--ws",
            "websockets",
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env,
    )
    worker_proc = None
    base = f"http://127.0.0.1:{web_port}"
    try:
        _wait_for_port(web_port, web)
        office_token = token_for(office)
        assert _report(base, 0).status_code == 201  # warm: everything up
        before = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first()

        redis.kill()
        started = time.monotonic()
        outage = {
            "anonymous report": _report(base, 1).status_code,
            "login (good password)": requests.post(
                f"{base}/api/v1/auth/token/", timeout=30, json={"username": "fixer", "password": "fixer-password-1"}
            ).status_code,
            "login (bad password)": requests.post(
                f"{base}/api/v1/auth/token/", timeout=30, json={"username": "fixer", "password": "nope"}
            ).status_code,
            "verify task": requests.post(
                f"{base}/api/v1/tasks/{task.pk}/verify/",
                json={"approved": True},
                timeout=30,
                headers={"Authorization": f"Token {office_token}"},
            ).status_code,
            "hazard list": requests.get(
                f"{base}/api/v1/hazards/", timeout=30, headers={"Authorization": f"Token {office_token}"}
            ).status_code,
        }
        outage_s = time.monotonic() - started
        assert outage == {
            "anonymous report": 201,
            "login (good password)": 200,
            "login (bad password)": 400,
            "verify task": 200,
            "hazard list": 200,
        }, outage
        assert (
            Task.objects.get(pk=task.pk).verified_at is not None
            and Hazard.objects.get(pk=task.hazard_id).status == Status.VERIFIED
        )
        owed = list(PendingTask.objects.values_list("task_name", flat=True))
        assert owed == ["rewards.tasks.award_points"], owed  # the points wait; they are not lost
        assert not PointsAward.objects.filter(user=worker).exists()
        missed = set(LiveEvent.objects.filter(id__gt=before).values_list("id", flat=True))
        assert missed, "the outage's events are in the outbox"

        # Redis comes back (same port, empty: it keeps nothing on disk). The outbox is sent and a
        # worker pays the points, exactly once even if the outbox is sent twice.
        redis = PrivateRedis(redis_port).start()
        for _ in range(2):
            sent = subprocess.run(
                [sys.executable, "manage.py", "send_pending_tasks", "--grace", "0"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert sent.returncode == 0, sent.stderr
        assert not PendingTask.objects.exists()
        worker_proc = Proc(
            "celery worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "govern",
                "worker",
                "--pool=solo",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            env,
        )
        deadline = time.monotonic() + 60
        while not PointsAward.objects.filter(user=worker).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the second copy of the task, if any, has run by now
        assert PointsAward.objects.filter(user=worker).count() == 1, "\n".join(worker_proc.lines[-30:])

        # The dispatcher's page reconnects from where it was: every missed event, in order.
        got = asyncio.run(_replay(web_port, office_token, before, missed))
        ids = [m["id"] for m in got if "id" in m]
        assert ids == sorted(ids) and len(ids) == len(set(ids))
        assert missed <= set(ids)
        assert {"hazard.created", "task.updated"} <= {m["type"] for m in got}
    finally:
        for proc in (worker_proc, web):
            if proc is not None:
                proc.stop()
        if redis.proc.popen.poll() is None:
            redis.kill()
    record("5 faults: real Redis killed → 2xx, outbox, replay", tried=len(outage) + 3, passed=len(outage) + 3)
    print(
        f"\n  Redis down: {len(outage)} requests answered in {outage_s:.1f} s; {len(missed)} events replayed; "
        "points paid once after recovery"
    )
