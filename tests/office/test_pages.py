"""The board, dashboard and partners pages: who may see them, what they show, constant queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from govern.api_keys import api_client_issue
from hazards.models import Status
from rewards.models import Merchant
from tests.factories import UserFactory, make_grid
from tests.office.conftest import move, on_duty, volunteer_in

pytestmark = pytest.mark.django_db

PAGES = ["/office/", "/office/dashboard/", "/office/partners/", "/office/export/hazards.csv", "/office/export/tasks.csv"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_goes_to_login_and_others_are_refused(client, resident, grid_worker, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for user in (resident, grid_worker):
        client.force_login(user)
        assert client.get(url).status_code == 403


def _json(response, element_id):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


def test_board_lists_the_queues_and_on_duty_responders(client, dispatcher, hazard_at, grid):
    now = timezone.now()
    fresh = hazard_at(grid, now - timedelta(minutes=5), severity="critical")
    old = hazard_at(grid, now - timedelta(days=2))
    accepted = move(hazard_at(grid, now - timedelta(hours=3)), [(Status.TRIAGED, now.strftime("%Y-%m-%d %H:%M"))])
    working = move(hazard_at(grid, now - timedelta(hours=4)), [(Status.TRIAGED, "2026-01-01 00:00"), (Status.DISPATCHED, "2026-01-01 00:00")])
    done = move(hazard_at(grid, now - timedelta(hours=5)), [(Status.REJECTED, "2026-01-01 00:00")])
    volunteer = volunteer_in(grid.community, UserFactory())
    on_duty(volunteer, 30.905, 120.805)
    volunteer_in(grid.community, UserFactory())  # off duty: not shown

    client.force_login(dispatcher)
    response = client.get("/office/")
    assert response.status_code == 200
    assert response.context["last_event_id"] is not None
    board = response.context["board"]
    assert [h.pk for h in board.untriaged] == [fresh.pk, old.pk]
    assert [h.pk for h in board.unassigned] == [accepted.pk]
    assert [h.pk for h in board.in_work] == [working.pk]
    assert board.counts == {"untriaged": 2, "unassigned": 1, "in_work": 1}
    hazards = {h["id"]: h for h in _json(response, "board-hazards")}
    assert done.pk not in hazards
    assert hazards[fresh.pk]["new"] is True and hazards[old.pk]["new"] is False
    assert hazards[fresh.pk]["severity"] == "critical" and hazards[fresh.pk]["latitude"] == pytest.approx(grid.center_latitude)
    assert [v["id"] for v in _json(response, "board-volunteers")] == [volunteer.pk]
    assert "Content-Security-Policy" in response


def test_board_queries_do_not_grow(client, dispatcher, hazard_at, grid, django_assert_max_num_queries):
    client.force_login(dispatcher)
    hazard_at(grid, timezone.now())
    with django_assert_max_num_queries(15) as small:
        assert client.get("/office/").status_code == 200
    for i in range(25):
        other = make_grid(west=120.83, south=30.91 + i * 0.002, size=0.002)
        h = hazard_at(other, timezone.now() - timedelta(minutes=i))
        if i % 3 == 0:
            move(h, [(Status.TRIAGED, "2026-01-01 00:00")])
        v = volunteer_in(other.community, UserFactory())
        on_duty(v, other.center_latitude, other.center_longitude)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/office/")
    assert len(_json(response, "board-hazards")) == 26 and len(_json(response, "board-volunteers")) == 25


def test_dashboard_shows_figures_and_reports_a_bad_period(client, dispatcher, hazard_at, grid):
    hazard_at(grid, timezone.now())
    client.force_login(dispatcher)
    response = client.get("/office/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="trend-chart"' in html and 'id="heat-table"' in html and "<rect" in html
    district = response.context["kpis"].district.figures
    assert district.reported == 1
    bad = client.get("/office/dashboard/?from=2026-02-30")
    assert bad.status_code == 400 and 'id="period-error"' in bad.content.decode()


def test_partners_lists_api_clients_and_merchants(client, dispatcher, django_assert_max_num_queries):
    api_client_issue(name="市民热线", contact_email="ops@example.org")
    Merchant.objects.create(name="芬湖超市")
    client.force_login(dispatcher)
    with django_assert_max_num_queries(8):
        html = client.get("/office/partners/").content.decode()
    assert "市民热线" in html and "芬湖超市" in html and "/admin/govern/apiclient/" in html


def test_hazard_event_audit_trail_is_readable_in_the_admin(client, hazard_at, grid):
    from tests.factories import UserFactory as Factory

    admin_user = Factory(username="root")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    hazard = hazard_at(grid, timezone.now())
    client.force_login(admin_user)
    response = client.get(f"/admin/hazards/hazardevent/?q={hazard.tracking_code}")
    assert response.status_code == 200 and hazard.tracking_code in response.content.decode()
    assert client.get("/admin/hazards/hazardevent/add/").status_code == 403
