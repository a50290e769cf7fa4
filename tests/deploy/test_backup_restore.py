"""The backup and restore drill (deploy/backup.sh, deploy/restore.sh, as the README documents them):
back up a running install (database and media), let it go on, restore the backup into a fresh
database on a "new machine" (a new media directory), start a server on it and reconnect the clients.

Clients of the lost history — one that saw events after the backup, one whose position is older —
are told to resync (a new stream epoch) instead of silently missing the events whose ids the
restored database hands out again; after reloading they follow live events; the media are back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid

import pytest
import requests

from govern.live_epoch import epoch_of
from tests.deploy.stack import (
    ROOT,
    Group,
    _free_port,
    clean_env,
    create_database,
    drop_database,
    redis_url,
    wait_for_port,
)

pytestmark = [pytest.mark.services]


def _env(db_url: str, media: str, **extra) -> dict:
    return clean_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="backup-drill-secret-key-0123456789-abcdefghijklmnopqrstu",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=db_url,
        REDIS_URL=redis_url(13),
        MEDIA_ROOT=media,
        LOG_FORMAT="text",
        **extra,
    )


def _run(args: list[str], env: dict) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _serve(env: dict) -> tuple[Group, int]:
    port = _free_port()
    bin_dir = os.path.dirname(os.sys.executable)
    server = Group(
        f"uvicorn:{port}",
        f"exec {bin_dir}/uvicorn govern.asgi:application --host 127.0.0.1 --port {port} "
        "--ws websockets-sansio --lifespan off --no-access-log",
        env,
    )
    wait_for_port(port, server, timeout=60)
    return server, port


def test_backup_then_restore_into_a_fresh_database(tmp_path):
    tag = uuid.uuid4().hex[:6]
    old_db, new_db = f"govern_drill_a_{tag}", f"govern_drill_b_{tag}"
    old_media, new_media = str(tmp_path / "media-old"), str(tmp_path / "media-new")
    backups = tmp_path / "backups"
    servers: list[Group] = []
    try:
        env_a = _env(create_database(old_db), old_media)
        _run([f"{os.path.dirname(os.sys.executable)}/python", "manage.py", "migrate", "--noinput", "-v0"], env_a)
        _run(
            [f"{os.path.dirname(os.sys.executable)}/python", "manage.py", "createsuperuser", "--noinput"],
            {
                **env_a,
                "DJANGO_SUPERUSER_USERNAME": "drill",
                "DJANGO_SUPERUSER_PASSWORD": "drill-pass-123",
                "DJANGO_SUPERUSER_EMAIL": "d@example.org",
            },
        )
        os.makedirs(f"{old_media}/hazards/2026/11", exist_ok=True)
        with open(f"{old_media}/hazards/2026/11/kept-l.jpg", "wb") as f:
            f.write(b"\xff\xd8 a processed photo \xff\xd9")
        server, port = _serve(env_a)
        servers.append(server)
        base = f"http://127.0.0.1:{port}"
        token = requests.post(
            f"{base}/api/v1/auth/token/", json={"username": "drill", "password": "drill-pass-123"}, timeout=30
        ).json()["token"]
        auth = {"Authorization": f"Token {token}"}

        def notice(url: str, text: str) -> int:
            response = requests.post(f"{url}/api/v1/notices/", json={"text": text}, headers=auth, timeout=30)
            assert response.status_code == 201, response.text[:300]
            return response.json()["id"]

        _n1, n2, _n3 = (notice(base, f"kept {i}") for i in range(3))
        printed = _run(["deploy/backup.sh", str(backups)], env_a).split()
        dump, media_tar = printed[0], printed[1]
        _n4, n5 = notice(base, "lost 1"), notice(base, "lost 2")  # after the backup: lost by the restore
        assert epoch_of(n5) == 0
        server.stop()

        # A new machine: a fresh database and media directory, the backup restored into them.
        env_b = _env(create_database(new_db), new_media)
        _run(["deploy/restore.sh", dump, media_tar], env_b)
        server, port = _serve(env_b)
        servers.append(server)
        base = f"http://127.0.0.1:{port}"

        async def reconnect():
            from websockets.asyncio.client import connect

            url = f"ws://127.0.0.1:{port}/ws/live/?last_event_id="
            async with (
                connect(url + str(n5), additional_headers=auth) as saw_lost,
                connect(url + str(n2), additional_headers=auth) as older,
            ):
                answers = [json.loads(await asyncio.wait_for(ws.recv(), 20)) for ws in (saw_lost, older)]
                fresh = await asyncio.to_thread(notice, base, "after the restore")
                live = json.loads(await asyncio.wait_for(saw_lost.recv(), 20))
                return answers, fresh, live

        answers, fresh, live = asyncio.run(reconnect())
        for answer in answers:
            assert answer["type"] == "resync" and epoch_of(answer["last_event_id"]) >= 1, answer
        assert epoch_of(fresh) >= 1 and fresh > n5 and live["id"] == fresh  # above every old id: never dropped
        assert requests.get(f"{base}/api/v1/me/", headers=auth, timeout=30).status_code == 200  # data restored
        served = requests.get(f"{base}/media/hazards/2026/11/kept-l.jpg", timeout=30)
        assert served.status_code == 200 and served.content == b"\xff\xd8 a processed photo \xff\xd9"
    finally:
        for server in servers:
            server.stop()
        drop_database(old_db)
        drop_database(new_db)
