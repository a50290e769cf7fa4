"""Health endpoints, Prometheus metrics and log lines (both modes)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import connection

from govern.logs import JsonFormatter, RedactFilter, RequestContextFilter, TextFormatter, redact
from govern.models import Notification, PendingTask
from tests.conftest import SERVICES_MODE, client_for


@pytest.mark.django_db
def test_health_live_and_ready(client):
    live = client.get("/health/live", HTTP_ACCEPT="application/json")
    assert live.status_code == 200 and live.json() == {}
    ready = client.get("/health/ready?format=json")
    assert ready.status_code == 200, ready.content
    checks = ready.json()
    assert set(checks.values()) == {"OK"}
    names = " ".join(checks)
    for name in ("Database", "MigrationsApplied", "Storage"):
        assert name in names
    assert ("RedisPing" in names and "Broker" in names) == SERVICES_MODE


@pytest.mark.django_db(transaction=True)
def test_ready_fails_naming_a_migration_not_applied(client):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, applied FROM django_migrations WHERE app = 'govern' AND name = '0005_pending_task'")
        row_id, applied = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [row_id])
    try:
        ready = client.get("/health/ready?format=json")
        assert ready.status_code == 500
        assert "govern.0005_pending_task" in json.dumps(ready.json())
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, 'govern', '0005_pending_task', %s)",
                [row_id, applied],
            )
    assert client.get("/health/ready").status_code == 200


@pytest.mark.django_db
def test_health_is_not_redirected_to_https_in_production(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    assert client.get("/health/live").status_code == 200
    assert client.get("/").status_code == 301


def _gauge(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert match, f"{name}{labels} missing"
    return float(match.group(1))


@pytest.mark.django_db
def test_metrics_include_governs_gauges(client, django_user_model):
    PendingTask.objects.create(task_name="govern.tasks.send_pending_tasks", kwargs={})
    person = django_user_model.objects.create_user("metrics-person")
    Notification.objects.create(user=person, event_id=1, kind="report_update", channel="sms")
    Notification.objects.create(user=person, event_id=1, kind="report_update", channel="email", status="sent")
    PendingTask.objects.create(task_name="govern.tasks.send_pending_tasks", kwargs={})
    text = client.get("/metrics").content.decode()
    assert _gauge(text, "govern_task_outbox_pending") == 2
    assert _gauge(text, "govern_live_outbox_events") >= 0
    assert _gauge(text, "govern_live_sockets_open") >= 0
    assert _gauge(text, "govern_photos_processing", '{table="hazardphoto"}') == 0
    assert _gauge(text, "govern_notifications_queued", '{channel="sms"}') == 1
    assert _gauge(text, "govern_notifications_queued", '{channel="email"}') == 0
    assert "django_http_requests_total_by_method_total" in text
    if SERVICES_MODE:
        assert _gauge(text, "govern_celery_queue_length", '{queue="celery"}') >= 0


def test_redaction_of_secrets_and_phone_numbers():
    line = (
        "GET /ws/live/?track=K7QX9M&token=9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b&last_event_id=3 "
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b api_key=govern-demo-open311 "
        "X-Api-Key Api-Key govern-demo-sensor 联系 13812345678, +86 139-1234-5678, 0512-63251234"
    )
    clean = redact(line)
    assert "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b" not in clean
    assert "govern-demo-open311" not in clean and "govern-demo-sensor" not in clean
    assert "13812345678" not in clean and "139-1234-5678" not in clean
    assert "track=K7QX9M" in clean and "last_event_id=3" in clean and "0512-63251234" in clean
    assert clean.count("[phone]") == 2


def _record(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("govern.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    for f in (RequestContextFilter(), RedactFilter()):
        f.filter(record)
    return record


def test_json_lines_carry_timestamp_level_request_and_user_and_no_secret():
    record = _record("user %s called from %s", "phone 13812345678", "/x?token=abc123456", request_id="r-123456789")
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert {"timestamp", "level", "logger", "message", "request_id", "user_id"} <= set(data)
    assert data["level"] == "WARNING" and data["request_id"] == "r-123456789"
    assert "13812345678" not in line and "abc123456" not in line
    text = TextFormatter().format(_record("token=abc123456 done"))
    assert "abc123456" not in text and "WARNING" in text


@pytest.mark.django_db
def test_each_request_has_an_id_and_one_access_line_with_the_user(caplog, dispatcher):
    api = client_for(dispatcher)
    with caplog.at_level(logging.INFO, logger="govern.access"):
        response = api.get("/api/v1/me/?phone=13812345678", HTTP_X_REQUEST_ID="proxy-request-0001")
        generated = api.get("/api/v1/categories/")
    assert response["X-Request-ID"] == "proxy-request-0001"
    assert re.fullmatch(r"[0-9a-f]{32}", generated["X-Request-ID"])
    lines = [r for r in caplog.records if r.name == "govern.access"]
    assert len(lines) == 2
    formatted = [json.loads(JsonFormatter().format(r)) for r in lines]
    assert formatted[0]["request_id"] == "proxy-request-0001" and formatted[0]["user_id"] == dispatcher.pk
    assert formatted[0]["status"] == 200 and "13812345678" not in formatted[0]["message"]
    assert formatted[1]["request_id"] == generated["X-Request-ID"]
    assert api.get("/health/live").status_code == 200  # probes do not fill the access log
    assert len([r for r in caplog.records if r.name == "govern.access"]) == 2


def test_a_request_id_header_that_is_not_a_token_is_replaced(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_sentry_is_optional(caplog):
    """SENTRY_DSN without sentry-sdk installed: a warning, and the process goes on."""
    import importlib.util

    from govern.sentry import before_send, init_sentry

    if importlib.util.find_spec("sentry_sdk") is None:
        with caplog.at_level(logging.WARNING, logger="govern.sentry"):
            assert init_sentry("http://public@127.0.0.1:9/1") is False
        assert "sentry-sdk is not installed" in caplog.text
    event = before_send({"request": {"url": "/ws/live/?token=abcdef123456", "data": {"phone": "13812345678"}}}, {})
    assert "abcdef123456" not in json.dumps(event) and "13812345678" not in json.dumps(event)


def test_the_channel_layer_socket_timeout_outlasts_its_blocking_read(settings):
    from channels_redis.core import RedisChannelLayer

    from govern.settings import CHANNEL_LAYER_SOCKET_TIMEOUT

    assert RedisChannelLayer.brpop_timeout * 2 < CHANNEL_LAYER_SOCKET_TIMEOUT
    if SERVICES_MODE:
        (host,) = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
        assert host["socket_timeout"] == CHANNEL_LAYER_SOCKET_TIMEOUT
