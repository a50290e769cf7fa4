"""Notification API and pages: the inbox at constant queries, read marks, preferences with bad input
answered 400 naming the field, push subscriptions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govern.live import user_topic
from govern.live_services import notice_publish
from govern.models import Notification, PushSubscription
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def browser(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def notices(user, n):
    for i in range(n):
        notice_publish(topics=[user_topic(user.pk)], text=f"通知 {i}", level="info")


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_inbox_api_and_page_run_constant_queries():
    user = UserFactory()
    client = client_for(user)
    notices(user, 2)
    api_small = count_queries(lambda: client.get("/api/v1/notifications/"))
    page = browser(user)
    page_small = count_queries(lambda: page.get("/me/notifications/"))
    notices(user, 25)
    assert count_queries(lambda: client.get("/api/v1/notifications/")) == api_small
    assert count_queries(lambda: page.get("/me/notifications/")) == page_small
    body = client.get("/api/v1/notifications/").json()
    assert body["unread"] == 27 and len(body["results"]) == 27
    assert body["results"][0]["body"] == "通知 24" and body["results"][0]["url"] == "/me/notifications/"


def test_read_one_then_all_and_only_ones_own():
    user, other = UserFactory(), UserFactory()
    notices(user, 3)
    client = client_for(user)
    first = client.get("/api/v1/notifications/").json()["results"][0]
    assert client_for(other).post(f"/api/v1/notifications/{first['id']}/read/").status_code == 404
    read = client.post(f"/api/v1/notifications/{first['id']}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert client.get("/api/v1/notifications/").json()["unread"] == 2
    assert client.get("/api/v1/notifications/?unread=1").json()["results"][0]["id"] != first["id"]
    assert client.post("/api/v1/notifications/read-all/").json() == {"read": 2}
    assert client.get("/api/v1/notifications/").json()["unread"] == 0


def test_paging_and_bad_parameters():
    user = UserFactory()
    notices(user, 5)
    client = client_for(user)
    page = client.get("/api/v1/notifications/?limit=2").json()
    assert len(page["results"]) == 2 and page["next_before"] == page["results"][-1]["id"]
    rest = client.get(f"/api/v1/notifications/?limit=10&before={page['next_before']}").json()
    assert len(rest["results"]) == 3 and rest["next_before"] is None
    for query, field in (("limit=abc", "limit"), ("limit=0", "limit"), ("limit=101", "limit"), ("before=-1", "before")):
        response = client.get(f"/api/v1/notifications/?{query}")
        assert response.status_code == 400 and field in response.json()["errors"], (query, response.content)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"channels": {"offer_received": ["fax"]}}, "channels"),
        ({"channels": {"no_such_kind": ["push"]}}, "channels"),
        ({"channels": ["push"]}, "channels"),
        ({"phone": 13800000000}, "phone"),
    ],
)
def test_preferences_refuse_bad_input_naming_the_field(body, field):
    response = client_for(UserFactory()).put("/api/v1/notifications/preferences/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.content


def test_preferences_round_trip():
    user = UserFactory()
    client = client_for(user)
    body = {
        "channels": {"report_update": ["sms"]},
        "quiet_start": "22:30",
        "quiet_end": "06:45",
        "email": "me@example.org",
        "phone": "13800001111",
    }
    saved = client.put("/api/v1/notifications/preferences/", body, format="json").json()
    assert saved["channels"]["report_update"] == ["inbox", "sms"]
    assert saved["channels"]["offer_received"] == ["inbox", "push", "sms"]  # defaults untouched
    assert (saved["quiet_start"], saved["quiet_end"], saved["email"], saved["phone"]) == (
        "22:30",
        "06:45",
        "me@example.org",
        "13800001111",
    )
    assert client.get("/api/v1/notifications/preferences/").json() == saved
    assert (
        client.put(
            "/api/v1/notifications/preferences/", {"quiet_start": None, "quiet_end": None}, format="json"
        ).json()["quiet_start"]
        is None
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"endpoint": "not a url", "keys": {"p256dh": "BNcR", "auth": "tBHI"}}, "endpoint"),
        ({"endpoint": "http://push.example.org/x", "keys": {"p256dh": "BNcR", "auth": "tBHI"}}, "endpoint"),
        ({"endpoint": "https://push.example.org/x", "keys": {"p256dh": "", "auth": "tBHI"}}, "keys.p256dh"),
        ({"endpoint": "https://push.example.org/x", "keys": {"p256dh": "BNcR", "auth": "a b"}}, "keys.auth"),
        ({"keys": {}}, "endpoint"),
    ],
)
def test_push_subscription_bad_input(body, field):
    response = client_for(UserFactory()).post("/api/v1/push/subscriptions/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.content


def test_push_subscribe_and_unsubscribe():
    user = UserFactory()
    client = client_for(user)
    body = {"endpoint": "https://push.example.org/send/1", "keys": {"p256dh": "BNcRdreALRFX", "auth": "tBHItJI5"}}
    assert client.post("/api/v1/push/subscriptions/", body, format="json").status_code == 201
    assert client.post("/api/v1/push/subscriptions/", body, format="json").status_code == 201  # same browser again
    assert PushSubscription.objects.filter(user=user).count() == 1
    # someone else cannot drop it
    client_for(UserFactory()).delete("/api/v1/push/subscriptions/", {"endpoint": body["endpoint"]}, format="json")
    assert PushSubscription.objects.filter(user=user).exists()
    assert (
        client.delete("/api/v1/push/subscriptions/", {"endpoint": body["endpoint"]}, format="json").status_code == 204
    )
    assert not PushSubscription.objects.exists()


def test_inbox_page_marks_read_and_opens_the_link():
    user = UserFactory()
    notices(user, 2)
    client = browser(user)
    page = client.get("/me/notifications/")
    assert page.status_code == 200 and "通知 1" in page.content.decode()
    row = Notification.objects.filter(user=user, channel="inbox").order_by("-id").first()
    opened = client.post("/me/notifications/", {"id": row.pk, "open": "1"})
    assert opened.status_code == 302 and opened["Location"] == "/me/notifications/"
    row.refresh_from_db()
    assert row.read_at is not None
    client.post("/me/notifications/", {"all": "1"})
    assert not Notification.objects.filter(user=user, channel="inbox", read_at__isnull=True).exists()
    assert client.post("/me/notifications/", {"id": "abc"}).status_code == 302  # bad id: a message, no 500


def test_preferences_page_saves_and_refuses_a_bad_phone_in_the_page():
    user = UserFactory()
    client = browser(user)
    page = client.get("/me/notifications/preferences/")
    assert page.status_code == 200 and 'name="offer_received:sms"' in page.content.decode()
    bad = client.post("/me/notifications/preferences/", {"phone": "123", "offer_received:push": "1"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()
    ok = client.post(
        "/me/notifications/preferences/",
        {"phone": "13900001111", "email": "", "offer_received:push": "1", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.phone == "13900001111"
    prefs = client_for(user).get("/api/v1/notifications/preferences/").json()
    assert prefs["channels"]["offer_received"] == ["inbox", "push"] and prefs["quiet_start"] == "22:00"


def test_pages_need_login_and_the_service_worker_is_served_at_the_root():
    from django.test import Client

    assert Client().get("/me/notifications/").status_code == 302
    sw = Client().get("/sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/" and b"showNotification" in sw.content
