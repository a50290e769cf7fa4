"""The documented deployment, run as documented: the README's "Running services mode" recipe (the
block after its deploy-recipe marker, word for word) with DJANGO_DEBUG=0 from deploy/env.example:
migrate, collectstatic with the manifest storage, seed_demo, then deploy/Procfile under honcho (two
single-process uvicorns, a Celery worker, celery beat). The test plays the proxy (it sends
X-Forwarded-Proto: https, as deploy/nginx does) and the operator's edits of the settings file
(its own database, Redis database 12, ports and directories).

While it checks the pages, the API, a report whose photo the worker processes, the live socket on
both servers, health, metrics and the logs, 50 idle WebSockets stay connected; after 60 s none may
have been dropped and each must still answer a ping (the channel layer's socket timeout used to
drop every idle socket about every 5 s per process). Part of those 60 s is spent filing 200 reports
with photos at one spot from 8 threads while the worker processes them: none may be lost."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

import psycopg
import pytest
import requests

from tests.deploy.stack import (
    ENV_PATH_IN_README,
    Group,
    SocketHolder,
    _free_port,
    clean_env,
    create_database,
    drop_database,
    honcho_lines,
    readme_recipe,
    redis_url,
    wait_for_port,
    write_env_file,
)
from tests.hazards.images import jpeg_bytes

pytestmark = [pytest.mark.services]

IDLE_SOCKETS = 50
IDLE_SECONDS = 60
PAGES = ["/", "/report/", "/accounts/login/", "/admin/login/", "/api/v1/docs/"]
PROXY = {"X-Forwarded-Proto": "https"}  # what deploy/nginx/govern.conf sends


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    base = tmp_path_factory.mktemp("deploy")
    name = f"govern_deploy_{uuid.uuid4().hex[:6]}"
    db_url = create_database(name)
    ports = [_free_port(), _free_port()]
    env_file = base / "govern.env"
    settings = write_env_file(
        env_file,
        {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url(12),
            "GOVERN_VAR_DIR": str(base / "var"),
            "MEDIA_ROOT": str(base / "var" / "media"),
            "PHOTO_QUARANTINE_ROOT": str(base / "var" / "quarantine"),
            "STATIC_ROOT": str(base / "var" / "static"),
            "GOVERN_WEB1_PORT": str(ports[0]),
            "GOVERN_WEB2_PORT": str(ports[1]),
            # The contention test files 200 reports as one signed-in user in seconds, which the
            # production allowance per user (THROTTLE_USER_REPORT, 60/hour) rightly refuses.
            "THROTTLE_USER_REPORT": "100000/hour",
        },
    )
    assert settings["DJANGO_DEBUG"] == "0" and settings["DJANGO_SECURE_SSL_REDIRECT"] == "1"
    recipe = readme_recipe()
    assert ENV_PATH_IN_README in recipe
    stack = Group("README recipe", recipe.replace(ENV_PATH_IN_README, str(env_file)), clean_env())
    holder = SocketHolder()
    try:
        for port in ports:
            wait_for_port(port, stack, timeout=240)
        stack.wait_for_line("worker.1", timeout=30)
        stack.wait_for(lambda: "ready." in stack.output(), "the worker ready", 60)
        with psycopg.connect(db_url) as conn:
            code = conn.execute("SELECT tracking_code FROM hazards_hazard ORDER BY id LIMIT 1").fetchone()[0]
        # Idle from now on: anonymous followers of one demo hazard, half on each server.
        holder.open([f"ws://127.0.0.1:{ports[i % 2]}/ws/live/?track={code}" for i in range(IDLE_SOCKETS)])
        yield {"ports": ports, "stack": stack, "holder": holder, "db_url": db_url, "settings": settings}
    finally:
        holder.close()
        stack.stop()
        drop_database(name)


def _get(port: int, path: str, **kwargs) -> requests.Response:
    headers = {**PROXY, **kwargs.pop("headers", {})}
    return requests.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=30, **kwargs)


def test_every_page_renders_with_its_collected_static_files(deployment):
    for index, path in enumerate(PAGES):
        port = deployment["ports"][index % 2]
        response = _get(port, path)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        assert response.headers["Content-Type"].startswith("text/html")
        assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text))
        assert assets, path
        # The manifest storage names files by content hash (collectstatic ran with DEBUG off).
        assert any(re.search(r"\.[0-9a-f]{12}\.(?:css|js)$", asset) for asset in assets), (path, assets)
        for asset in assets:
            assert _get(port, asset).status_code == 200, asset


def test_plain_http_is_sent_to_https(deployment):
    response = requests.get(f"http://127.0.0.1:{deployment['ports'][0]}/", allow_redirects=False, timeout=30)
    assert response.status_code == 301 and response.headers["Location"].startswith("https://")


def test_the_api_a_report_the_worker_processes_and_its_photo(deployment):
    port_a, port_b = deployment["ports"]
    token = _login(port_a)
    listing = _get(port_b, "/api/v1/hazards/", headers={"Authorization": f"Token {token}"})
    assert listing.status_code == 200 and listing.json()["results"], listing.text[:300]

    report = requests.post(
        f"http://127.0.0.1:{port_a}/api/v1/hazards/",
        data={
            "category": "fire-passage",
            "description": "楼道堆满纸箱 (deployment test)",
            "latitude": "30.905",
            "longitude": "120.805",
            "address": "黎里 测试路 1 号",
        },
        files={"photos": ("box.jpg", jpeg_bytes(size=(1200, 900), seed=9, gps=True), "image/jpeg")},
        headers=PROXY,
        timeout=60,
    )
    assert report.status_code == 201, report.text[:500]
    code = report.json()["tracking_code"]
    deadline = time.monotonic() + 90
    photos = []
    while time.monotonic() < deadline:  # the Celery worker re-encodes the photo
        photos = _get(port_b, f"/api/v1/track/{code}/").json()["photos"]
        if photos and photos[0].get("image"):
            break
        time.sleep(0.5)
    assert photos and photos[0].get("image"), photos
    image = _get(port_b, photos[0]["image"].removeprefix(f"https://127.0.0.1:{port_b}"))
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"


def test_a_notice_reaches_live_sockets_on_both_servers(deployment):
    import asyncio

    from websockets.asyncio.client import connect

    port_a, port_b = deployment["ports"]
    token = _login(port_b)

    async def scenario():
        async with (
            connect(f"ws://127.0.0.1:{port_a}/ws/live/", additional_headers={"Authorization": f"Token {token}"}) as a,
            connect(f"ws://127.0.0.1:{port_b}/ws/live/?token={token}") as b,
        ):
            text = f"deployment check {uuid.uuid4().hex[:6]}"
            response = await asyncio.to_thread(
                requests.post,
                f"http://127.0.0.1:{port_a}/api/v1/notices/",
                json={"text": text, "level": "info"},
                headers={**PROXY, "Authorization": f"Token {token}"},
                timeout=30,
            )
            assert response.status_code == 201, response.text[:300]
            for ws in (a, b):
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 20))
                    if message.get("type") == "system.notice" and message["data"]["text"] == text:
                        break

    asyncio.run(scenario())


def test_health_and_metrics_on_each_server(deployment):
    for port in deployment["ports"]:
        ready = requests.get(f"http://127.0.0.1:{port}/health/ready?format=json", timeout=30)
        assert ready.status_code == 200, ready.text
        assert set(ready.json().values()) == {"OK"} and len(ready.json()) == 5, ready.json()
        assert requests.get(f"http://127.0.0.1:{port}/health/live", timeout=30).status_code == 200
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        sockets = float(re.search(r"^govern_live_sockets_open (\S+)$", metrics, re.M).group(1))
        assert sockets >= IDLE_SOCKETS / 2, sockets
        for name in (
            "govern_live_outbox_events",
            "govern_task_outbox_pending",
            "govern_photos_processing",
            "govern_notifications_queued",
        ):
            assert re.search(rf"^{name}(\{{[^}}]*\}})? \S+$", metrics, re.M), name
        assert "django_http_requests_total_by_method_total" in metrics


def test_beat_holds_the_lock(deployment):
    deployment["stack"].wait_for_line("beat: Acquired lock", timeout=60)


CONTENDED_REPORTS = 200
REPORTING_THREADS = 8


def test_reports_at_one_spot_under_load_are_never_lost(deployment):
    """200 reports with a photo at one spot from 8 threads over both servers while the worker
    processes the photos: every one is a 201, every hazard exists, every photo ends processed.
    (Photo processing locked the hazard nearby and then wanted the publish lock, a new report held
    the publish lock and needed that hazard at COMMIT: PostgreSQL aborted one, 49 of 200 reports
    got an HTML 500 and were lost.) Runs while the idle sockets wait: they must survive it too."""
    from concurrent.futures import ThreadPoolExecutor

    ports = deployment["ports"]
    token = _login(ports[0])
    marker = f"contention {uuid.uuid4().hex[:8]}"
    photos = [jpeg_bytes(size=(480, 360), seed=100 + k) for k in range(8)]
    local = threading.local()

    def report(index: int) -> tuple[int, str, str]:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(
            f"http://127.0.0.1:{ports[index % 2]}/api/v1/hazards/",
            data={
                "category": "fire-passage",
                "description": f"{marker} #{index} 楼道堆放杂物",
                "latitude": "30.905",
                "longitude": "120.805",
                "address": "黎里 测试路 2 号",
            },
            files={"photos": (f"p{index}.jpg", photos[index % len(photos)], "image/jpeg")},
            headers={**PROXY, "Authorization": f"Token {token}"},
            timeout=120,
        )
        return response.status_code, response.headers.get("Content-Type", ""), response.text[:200]

    started = time.monotonic()
    with ThreadPoolExecutor(REPORTING_THREADS) as pool:
        answers = list(pool.map(report, range(CONTENDED_REPORTS)))
    took = time.monotonic() - started
    refused = [(i, a) for i, a in enumerate(answers) if a[0] != 201]
    assert not refused, f"{len(refused)} of {CONTENDED_REPORTS} reports refused in {took:.0f} s: {refused[:5]}"

    query = """SELECT count(DISTINCT h.id), count(p.id), count(p.id) FILTER (WHERE p.status = 'ready')
               FROM hazards_hazard h LEFT JOIN hazards_hazardphoto p ON p.hazard_id = h.id
               WHERE h.description LIKE %s"""
    deadline = time.monotonic() + 180
    with psycopg.connect(deployment["db_url"], autocommit=True) as conn:
        while True:
            hazards, photo_rows, ready = conn.execute(query, [f"{marker} #%"]).fetchone()
            if ready == CONTENDED_REPORTS or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert (hazards, photo_rows, ready) == (CONTENDED_REPORTS,) * 3, (hazards, photo_rows, ready)


def _login(port: int) -> str:
    return requests.post(
        f"http://127.0.0.1:{port}/api/v1/auth/token/",
        json={"username": "dispatcher", "password": "govern-demo"},
        headers=PROXY,
        timeout=30,
    ).json()["token"]


def test_idle_sockets_stay_up_and_the_logs_are_clean(deployment):
    import asyncio

    from websockets.asyncio.client import connect

    port = deployment["ports"][0]
    token = _login(port)
    secret_phone = "13987654321"
    me = _get(port, f"/api/v1/me/?phone={secret_phone}", headers={"Authorization": f"Token {token}"})
    assert me.status_code == 200
    request_id = f"deploy-{uuid.uuid4().hex[:12]}"
    assert _get(port, "/api/v1/categories/", headers={"X-Request-ID": request_id}).headers["X-Request-ID"] == request_id

    async def token_in_url():
        async with connect(f"ws://127.0.0.1:{port}/ws/live/?token={token}") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] == "pong"

    asyncio.run(token_in_url())

    holder: SocketHolder = deployment["holder"]
    remaining = IDLE_SECONDS - (time.monotonic() - holder.opened_at)
    if remaining > 0:
        time.sleep(remaining)
    drops = holder.finish()
    assert drops == [], f"{len(drops)} of {IDLE_SOCKETS} idle sockets dropped: {drops[:10]}"

    time.sleep(0.5)  # the last lines through honcho's pipe
    output = deployment["stack"].output()
    assert "Traceback" not in output, output[-5000:]
    assert token not in output and secret_phone not in output
    assert "token=[redacted]" in output and "phone=[phone]" in output
    web = [line for process in ("web1", "web2") for line in honcho_lines(output, process)]
    not_json = [line for line in web if not line.startswith("{")]
    records = [json.loads(line) for line in web if line.startswith("{")]
    # uvicorn may print a warning or two of its own before Django's logging is configured
    assert records and len(not_json) <= 4, not_json
    assert all({"timestamp", "level", "logger", "message"} <= set(r) for r in records)
    access = [r for r in records if r["logger"] == "govern.access"]
    assert any(r["request_id"] == request_id for r in access)
    assert all(r["request_id"] for r in access)
    user_id = me.json()["id"]
    assert any(r["user_id"] == user_id and "/api/v1/me/" in r["message"] for r in access)
