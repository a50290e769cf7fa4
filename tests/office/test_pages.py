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
from tests.office.conftest import move, on_duty, task_at, volunteer_in

pytestmark = pytest.mark.django_db

PAGES = [
    "/office/",
    "/office/dashboard/",
    "/office/partners/",
    "/office/export/hazards.csv",
    "/office/export/tasks.csv",
    "/office/export/kpis.csv",
    "/office/?q=1",
]


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
    return json.loads(html[start : html.index("</script>", start)])


def test_board_lists_the_queues_and_on_duty_responders(client, dispatcher, hazard_at, grid):
    now = timezone.now()
    fresh = hazard_at(grid, now - timedelta(minutes=5), severity="critical")
    old = hazard_at(grid, now - timedelta(days=2))
    accepted = move(hazard_at(grid, now - timedelta(hours=3)), [(Status.TRIAGED, now.strftime("%Y-%m-%d %H:%M"))])
    working = move(
        hazard_at(grid, now - timedelta(hours=4)),
        [(Status.TRIAGED, "2026-01-01 00:00"), (Status.DISPATCHED, "2026-01-01 00:00")],
    )
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
    assert board.counts == {"untriaged": 2, "unassigned": 1, "in_work": 1, "overdue": 0}
    hazards = {h["id"]: h for h in _json(response, "board-hazards")}
    assert done.pk not in hazards
    assert hazards[fresh.pk]["new"] is True and hazards[old.pk]["new"] is False
    assert hazards[fresh.pk]["severity"] == "critical" and hazards[fresh.pk]["latitude"] == pytest.approx(
        grid.center_latitude
    )
    assert [v["id"] for v in _json(response, "board-volunteers")] == [volunteer.pk]
    assert "Content-Security-Policy" in response


def test_board_queries_do_not_grow(client, dispatcher, hazard_at, grid, django_assert_max_num_queries):
    client.force_login(dispatcher)
    hazard_at(grid, timezone.now())
    # 16: the board, the loop queues (to verify 3, reopen requested 1, offers expired 1), the search form's categories
    with django_assert_max_num_queries(16) as small:
        assert client.get("/office/").status_code == 200
    for i in range(25):
        other = make_grid(west=120.83, south=30.91 + i * 0.002, size=0.002)
        h = hazard_at(other, timezone.now() - timedelta(minutes=i))
        if i % 3 == 0:
            move(h, [(Status.TRIAGED, "2026-01-01 00:00")])
        elif i % 3 == 1:
            move(h, [(Status.TRIAGED, "2026-01-01 00:00"), (Status.DISPATCHED, "2026-01-01 00:00")])
            for n in range(2):  # a broadcast: two offers, or one accepted and overdue
                task_at(
                    h,
                    UserFactory(),
                    "2026-01-01 00:00",
                    due="2026-01-01 02:00",
                    status="offered" if i % 2 else "accepted",
                    accepted=None if i % 2 else "2026-01-01 00:10",
                    overdue=not i % 2,
                ) if n == 0 or i % 2 else None
        v = volunteer_in(other.community, UserFactory())
        on_duty(v, other.center_latitude, other.center_longitude)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/office/")
    assert len(_json(response, "board-hazards")) == 26 and len(_json(response, "board-volunteers")) == 25
    board = response.context["board"]
    assert board.counts["overdue"] == 4 and len(board.overdue) == 4  # i = 4, 10, 16, 22
    assert sum(len(h["tasks"]) for h in _json(response, "board-hazards")) == 4 + 2 * 4  # i = 1, 7, 13, 19 offer twice


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
    assert "市民热线" in html and "芬湖超市" in html
    # A dispatcher is not staff: no link into an admin site that would refuse them.
    assert "/admin/" not in html and 'id="staff-note"' in html
    dispatcher.is_staff = True
    dispatcher.save()
    html = client.get("/office/partners/").content.decode()
    assert "/admin/govern/apiclient/" in html and 'id="staff-note"' not in html


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


def test_board_queues_follow_the_live_tasks(client, dispatcher, hazard_at, grid, other_grid):
    """Unassigned excludes hazards someone holds a live task for; overdue tasks have their own queue."""
    now = timezone.now()
    later = (now + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    stamp = (now - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    past_due = (now - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
    waiting = move(hazard_at(grid, now - timedelta(hours=1)), [(Status.TRIAGED, stamp)])
    # Triaged with a live offer (e.g. offered by an admin action): offered, not unassigned.
    held = move(hazard_at(grid, now - timedelta(hours=2)), [(Status.TRIAGED, stamp)])
    alice = UserFactory(display_name="张师傅")
    task_at(held, alice, stamp, due=later)
    # Triaged again after its offer expired: unassigned.
    lapsed = move(hazard_at(grid, now - timedelta(hours=3)), [(Status.TRIAGED, stamp)])
    task_at(lapsed, UserFactory(), stamp, due=later, status="expired", ended=stamp)
    offered = move(
        hazard_at(other_grid, now - timedelta(hours=4)), [(Status.TRIAGED, stamp), (Status.DISPATCHED, stamp)]
    )
    task_at(offered, UserFactory(), stamp, due=later)
    task_at(offered, UserFactory(), stamp, due=later)
    late = move(
        hazard_at(other_grid, now - timedelta(hours=5)),
        [(Status.TRIAGED, stamp), (Status.DISPATCHED, stamp), (Status.IN_PROGRESS, stamp)],
    )
    bob = UserFactory(username="bob", display_name="")
    task_at(late, bob, stamp, accepted=stamp, due=past_due, status="in_progress", overdue=True)
    task_at(late, UserFactory(), stamp, due=later, status="cancelled", ended=stamp)

    client.force_login(dispatcher)
    response = client.get("/office/")
    board = response.context["board"]
    assert [h.pk for h in board.unassigned] == [waiting.pk, lapsed.pk]
    assert [h.pk for h in board.in_work] == [held.pk, offered.pk]
    assert [h.pk for h in board.overdue] == [late.pk]
    assert board.counts == {"untriaged": 0, "unassigned": 2, "in_work": 2, "overdue": 1}
    hazards = {h["id"]: h for h in _json(response, "board-hazards")}
    assert [(t["status"], t["assignee_name"]) for t in hazards[held.pk]["tasks"]] == [("offered", "张师傅")]
    assert len(hazards[offered.pk]["tasks"]) == 2 and hazards[lapsed.pk]["tasks"] == []
    [task] = hazards[late.pk]["tasks"]
    assert (task["status"], task["overdue"], task["assignee_name"]) == ("in_progress", True, "bob")
    assert 'id="queue-overdue"' in response.content.decode()


def test_board_overdue_through_the_dispatch_services(client, dispatcher, grid_worker, hazard_at, grid):
    """The real path: dispatch → accept → escalation past the due time → the overdue queue."""
    from hazards.dispatch.escalation import tasks_escalate
    from hazards.dispatch.services import task_accept, task_dispatch

    hazard = move(hazard_at(grid, timezone.now()), [(Status.TRIAGED, timezone.now().strftime("%Y-%m-%d %H:%M"))])
    client.force_login(dispatcher)
    [task] = task_dispatch(hazard_id=hazard.pk, actor=dispatcher, assignee_id=grid_worker.pk).tasks
    board = client.get("/office/").context["board"]
    assert [h.pk for h in board.in_work] == [hazard.pk] and board.counts["unassigned"] == 0
    task_accept(task_id=task.pk, actor=grid_worker)
    task.refresh_from_db()
    assert tasks_escalate(now=task.due_at + timedelta(minutes=1)).overdue == 1
    board = client.get("/office/").context["board"]
    assert [h.pk for h in board.overdue] == [hazard.pk] and board.in_work == []
    assert board.counts == {"untriaged": 0, "unassigned": 0, "in_work": 0, "overdue": 1}
