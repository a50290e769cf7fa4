"""The dispatch REST API: contracts, errors as sentences, permission scoping, constant queries,
the escalate command, and the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from hazards.dispatch import services
from hazards.models import Hazard, Status, Task, TaskStatus
from tests.hazards.conftest import as_user
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


def test_candidates_endpoint(triaged, on_duty, boss, grid_worker, resident):
    volunteer = on_duty((30.9021, 120.8021), name="陈一")
    hazard = triaged(latitude=30.902, longitude=120.802)  # 420 m from the grid's centre
    body = as_user(boss).get(f"/api/v1/hazards/{hazard.pk}/candidates/").json()
    assert body["hazard"] == hazard.pk
    first = body["results"][0]
    assert first["user"] == {"id": volunteer.user_id, "display_name": "陈一"}
    assert set(first) >= {"distance_m", "eta_s", "mode", "kind", "position_source", "active_tasks", "max_active_tasks"}
    assert [r["kind"] for r in body["results"]] == ["volunteer", "grid_worker"]
    assert as_user(grid_worker).get(f"/api/v1/hazards/{hazard.pk}/candidates/").status_code == 200
    assert as_user(resident).get(f"/api/v1/hazards/{hazard.pk}/candidates/").status_code == 404


def test_grid_workers_see_banded_distances_only(triaged, on_duty, boss, grid_worker):
    """Issue 21: exact distances (to 0.1 m) let a grid worker trilaterate a volunteer's live
    position over three reports; they get the distance rounded up to 250 m and a whole-minute ETA."""
    volunteer = on_duty((30.9021, 120.8021), name="陈一")
    hazard = triaged(latitude=30.902, longitude=120.802)
    exact = as_user(boss).get(f"/api/v1/hazards/{hazard.pk}/candidates/").json()["results"]
    banded = as_user(grid_worker).get(f"/api/v1/hazards/{hazard.pk}/candidates/").json()["results"]
    assert [r["user"]["id"] for r in banded] == [r["user"]["id"] for r in exact]
    mine = next(r for r in exact if r["user"]["id"] == volunteer.user_id)
    seen = next(r for r in banded if r["user"]["id"] == volunteer.user_id)
    assert mine["distance_m"] % 250 != 0  # the dispatcher's figure is exact
    assert seen["distance_m"] == 250.0 and seen["eta_s"] % 60 == 0
    assert all(r["distance_m"] % 250 == 0 and r["eta_s"] % 60 == 0 for r in banded)


def test_dispatch_endpoint_with_and_without_assignee(triaged, on_duty, boss, grid_worker):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    response = as_user(boss).post(f"/api/v1/hazards/{hazard.pk}/dispatch/", {"assignee": grid_worker.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "dispatched" and body["tasks"][0]["assignee"]["id"] == grid_worker.pk
    assert body["tasks"][0]["assignee_kind"] == "grid_worker"
    again = as_user(boss).post(f"/api/v1/hazards/{hazard.pk}/dispatch/", {}, format="json")
    assert again.status_code == 201 and again.json()["tasks"][0]["assignee"]["id"] == volunteer.user_id


def test_dispatch_without_candidates_is_400_with_a_sentence(triaged, boss):
    hazard = triaged()
    response = as_user(boss).post(f"/api/v1/hazards/{hazard.pk}/dispatch/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "no_candidate" and "Nobody can take this hazard" in body["detail"]
    assert "assignee" in body["errors"]


def test_dispatch_refuses_bad_assignees(triaged, boss, resident):
    hazard = triaged()
    bad = as_user(boss).post(f"/api/v1/hazards/{hazard.pk}/dispatch/", {"assignee": resident.pk}, format="json")
    assert bad.status_code == 400 and "assignee" in bad.json()["errors"]
    assert (
        as_user(boss).post(f"/api/v1/hazards/{hazard.pk}/dispatch/", {"assignee": 999999}, format="json").status_code
        == 400
    )
    assert (
        as_user(boss).post(f"/api/v1/hazards/{hazard.pk}/dispatch/", {"broadcast": 99}, format="json").status_code
        == 400
    )


def test_task_actions_over_the_api(triaged, on_duty, boss, resident, django_capture_on_commit_callbacks):
    volunteer = on_duty(NEAR)
    hazard = triaged(reporter=resident)
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    me = as_user(volunteer.user)
    assert me.post(f"/api/v1/tasks/{task.pk}/start/").status_code == 409  # not accepted yet
    assert me.post(f"/api/v1/tasks/{task.pk}/accept/").json()["status"] == "accepted"
    assert me.post(f"/api/v1/tasks/{task.pk}/start/").json()["status"] == "in_progress"
    missing = me.post(f"/api/v1/tasks/{task.pk}/complete/", {"note": "好了"}, format="multipart")
    assert missing.status_code == 400 and "photos" in missing.json()["errors"]
    done = me.post(
        f"/api/v1/tasks/{task.pk}/complete/",
        {"note": "好了", "photos": [upload("a.jpg", jpeg_bytes(size=(120, 90)))]},
        format="multipart",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done" and len(done.json()["photos"]) == 1
    assert me.post(f"/api/v1/tasks/{task.pk}/verify/", {"approved": True}, format="json").status_code == 403
    assert (
        as_user(resident).post(f"/api/v1/tasks/{task.pk}/verify/", {"approved": True}, format="json").status_code == 403
    )
    refused = as_user(boss).post(f"/api/v1/tasks/{task.pk}/verify/", {"approved": False}, format="json")
    assert refused.status_code == 400 and "note" in refused.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        ok = as_user(boss).post(f"/api/v1/tasks/{task.pk}/verify/", {"approved": True, "note": "很好"}, format="json")
    assert ok.status_code == 200 and ok.json()["verified_by"]["id"] == boss.pk
    assert Hazard.objects.get(pk=hazard.pk).status == Status.VERIFIED


def test_decline_over_the_api(triaged, on_duty, boss):
    volunteer = on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    response = as_user(volunteer.user).post(f"/api/v1/tasks/{task.pk}/decline/", {"reason": "不在附近"}, format="json")
    assert response.status_code == 200 and response.json()["reason"] == "不在附近"
    # nobody else: back to triage
    assert Hazard.objects.get(pk=hazard.pk).status == Status.TRIAGED


def test_task_list_scoping_filters_and_constant_queries(
    triaged, on_duty, boss, grid_worker, django_assert_max_num_queries
):
    a, b = on_duty(NEAR), on_duty((30.9052, 120.8052))

    def dispatch_some(n):
        for _ in range(n):
            services.task_dispatch(hazard_id=triaged().pk, actor=boss, assignee_id=a.user_id if _ % 2 else b.user_id)

    from volunteers.models import Volunteer

    Volunteer.objects.update(max_active_tasks=20)
    dispatch_some(2)
    client = as_user(boss)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/tasks/").json()["count"] == 2
    dispatch_some(8)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/tasks/?page_size=50").json()["count"] == 10
    mine = as_user(a.user).get("/api/v1/tasks/").json()
    assert mine["count"] == 5 and {t["assignee"]["id"] for t in mine["results"]} == {a.user_id}
    assert as_user(grid_worker).get("/api/v1/tasks/").json()["count"] == 10  # their grid's tasks
    assert client.get(f"/api/v1/tasks/?assignee={a.user_id}").json()["count"] == 5
    assert client.get("/api/v1/tasks/?status=offered").json()["count"] == 10
    assert client.get("/api/v1/tasks/?status=done").json()["count"] == 0
    assert client.get("/api/v1/tasks/?overdue=true").json()["count"] == 0
    assert client.get("/api/v1/tasks/?overdue=false").json()["count"] == 10
    typo = client.get("/api/v1/tasks/?overdue=maybe")  # a typo must not silently widen the list
    assert typo.status_code == 400 and "overdue" in typo.json()["errors"]
    assert client.get(f"/api/v1/tasks/?grid={Task.objects.first().hazard.grid_id}").json()["count"] == 10
    bad = client.get("/api/v1/tasks/?status=flying")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_escalate_command(triaged, on_duty, boss, capsys):
    on_duty(NEAR)
    hazard = triaged()
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    Task.objects.filter(pk=task.pk).update(
        offered_at=task.offered_at - dt.timedelta(hours=1),
        accept_deadline=task.offered_at - dt.timedelta(minutes=1),
    )
    call_command("escalate")
    assert "expired 1" in capsys.readouterr().out
    assert Task.objects.get(pk=task.pk).status == TaskStatus.EXPIRED
    assert Hazard.objects.get(pk=hazard.pk).status == Status.TRIAGED


def test_celery_task_runs_the_escalation(triaged, on_duty, boss):
    from hazards.tasks import escalate_tasks

    assert escalate_tasks.delay().get() == {
        "expired": 0,
        "reoffered": 0,
        "returned_to_triage": 0,
        "overdue": 0,
        "warned": 0,
    }


def test_schema_lists_the_dispatch_endpoints(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/hazards/{id}/candidates/",
        "/api/v1/hazards/{id}/dispatch/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/complete/",
        "/api/v1/tasks/{id}/verify/",
    ):
        assert path in schema["paths"], path
