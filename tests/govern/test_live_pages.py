"""The /live/status/ page and the position every page embeds for live.js."""

from __future__ import annotations

import re

import pytest

from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.roles import DISPATCHER, RESIDENT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _position(html: str) -> str:
    return re.search(r'data-last-event-id="([^"]*)"', html).group(1)


def test_status_page_needs_a_login(client):
    response = client.get("/live/status/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_status_page_lists_only_the_users_events_and_embeds_the_position(client):
    resident = UserFactory(roles=[RESIDENT])
    mine = publish([user_topic(resident.pk)], "points.changed", {"balance": 42})
    publish([DISPATCH_TOPIC], "hazard.created", {"secret": "dispatch only"})
    notice = publish(
        [user_topic(resident.pk)], "system.notice", {"text": "停水通知", "level": "warning", "sender": None}
    )
    newest = publish([grid_topic(99)], "task.offered", {})
    client.force_login(resident)
    html = client.get("/live/status/").content.decode()
    assert _position(html) == str(newest.pk)
    assert f'data-event-id="{mine.pk}"' in html and f'data-event-id="{notice.pk}"' in html
    assert "dispatch only" not in html
    assert "停水通知" in html and "notice-warning" in html
    assert f"user:{resident.pk}" in html
    assert "js/live.js" in html and "js/govern/live_status.js" in html


def test_status_page_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    dispatcher = UserFactory(roles=[DISPATCHER])
    client.force_login(dispatcher)
    for size in (2, 40):
        for n in range(size):
            publish([DISPATCH_TOPIC], "hazard.created", {"n": n})
        with django_assert_max_num_queries(6):
            assert client.get("/live/status/").status_code == 200


def test_pages_without_a_position_say_so_rather_than_claim_zero(client):
    """base.html renders an empty position when a view passes none, so live.js follows live
    events instead of replaying the whole outbox from 0."""
    publish([DISPATCH_TOPIC], "hazard.created", {})
    assert _position(client.get("/").content.decode()) == ""


def test_status_page_in_english(client):
    client.force_login(UserFactory(roles=[RESIDENT]))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/live/status/").content.decode()
    assert "Live updates" in html and "Nothing yet." in html


# --- POST /api/v1/notices/ ------------------------------------------------------------------------


def test_a_dispatcher_sends_a_notice_through_the_api(django_capture_on_commit_callbacks):
    from tests.conftest import client_for

    dispatcher = UserFactory(roles=[DISPATCHER], display_name="指挥室")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(dispatcher).post(
            "/api/v1/notices/",
            {"topics": ["dispatch", "grid:3"], "text": "台风过境，注意安全", "level": "warning"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "system.notice" and body["topics"] == ["dispatch", "grid:3"]
    assert body["data"] == {"text": "台风过境，注意安全", "level": "warning", "sender": "指挥室"}
    # The live send, and the delivery of the dispatchers' notifications (govern.notify).
    assert len(callbacks) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"text": ""}, "text"), ({"text": "x", "level": "loud"}, "level"), ({"text": "x", "topics": ["all"]}, "topics")],
)
def test_notice_api_names_the_bad_field(payload, field):
    from govern.models import LiveEvent
    from tests.conftest import client_for

    response = client_for(UserFactory(roles=[DISPATCHER])).post("/api/v1/notices/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not LiveEvent.objects.exists()


def test_only_dispatchers_send_notices(api):
    from tests.conftest import client_for

    assert api.post("/api/v1/notices/", {"text": "x"}, format="json").status_code == 401
    assert (
        client_for(UserFactory(roles=[RESIDENT])).post("/api/v1/notices/", {"text": "x"}, format="json").status_code
        == 403
    )
