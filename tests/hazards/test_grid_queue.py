"""The grid worker's queue (/grid/): their grids' open reports only, gravest first, and exactly
what hazards.core.policy allows — accept / duplicate at triage, dispatch from the candidates,
verify low-severity fixes; another grid's report is 404, a high-severity verify is refused with a
sentence. Constant queries at two sizes."""

from __future__ import annotations

import pytest
from django.test import Client

from hazards.dispatch import services as dispatch
from hazards.models import Hazard, Status, TaskStatus
from tests.hazards.conftest import english
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)
OTHER = (30.905, 120.815)  # inside the `other_grid` fixture


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    english(client)
    return client


def done_task(hazard, on_duty, boss):
    volunteer = on_duty(NEAR)
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=volunteer.user)
    dispatch.task_start(task_id=task.pk, actor=volunteer.user)
    after = upload("after.jpg", jpeg_bytes(size=(160, 120), seed=task.pk + 40))
    return dispatch.task_complete(task_id=task.pk, actor=volunteer.user, note="已处理", photos=[after])


def test_only_the_workers_grids_gravest_first(make_hazard, grid_worker, other_grid, resident):
    mine_low = make_hazard()
    mine = make_hazard()
    Hazard.objects.filter(pk=mine_low.pk).update(severity="low")
    Hazard.objects.filter(pk=mine.pk).update(
        severity="critical", peak_severity="critical"
    )  # reported later, shown first
    theirs = make_hazard(latitude=OTHER[0], longitude=OTHER[1])
    client = page_for(grid_worker)
    cards = client.get("/grid/").context["cards"]
    assert [c.hazard.pk for c in cards] == [mine.pk, mine_low.pk]
    assert {c.hazard.pk for c in cards} == {mine_low.pk, mine.pk} and theirs.pk not in {c.hazard.pk for c in cards}
    assert all(c.can_triage for c in cards)
    assert client.post(f"/grid/hazards/{theirs.pk}/triage/", {"decision": "accept"}).status_code == 404
    assert page_for(resident).get("/grid/").status_code == 403
    anonymous = Client().get("/grid/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_accept_dispatch_and_reject_is_not_theirs(make_hazard, grid_worker, on_duty):
    hazard = make_hazard()
    client = page_for(grid_worker)
    refused = client.post(f"/grid/hazards/{hazard.pk}/triage/", {"decision": "reject", "note": "x"})
    assert refused.status_code == 302
    assert "Choose accept or duplicate" in client.get("/grid/").content.decode()
    client.post(f"/grid/hazards/{hazard.pk}/triage/", {"decision": "accept", "severity": "high"})
    hazard.refresh_from_db()
    assert (hazard.status, hazard.severity) == (Status.TRIAGED, "high")
    volunteer = on_duty(NEAR, name="小李")
    listing = client.get(f"/grid/?candidates={hazard.pk}")
    assert volunteer.user_id in [c.user_id for c in listing.context["candidates"]]
    client.post(f"/grid/hazards/{hazard.pk}/dispatch/", {"assignee": volunteer.user_id})
    hazard.refresh_from_db()
    assert hazard.status == Status.DISPATCHED and hazard.tasks.get().assignee_id == volunteer.user_id


def test_low_severity_fixes_verified_high_ones_refused_with_a_sentence(triaged, grid_worker, on_duty, boss):
    high = done_task(triaged(severity="high"), on_duty, boss)
    low = done_task(triaged(severity="low", latitude=30.9052, longitude=120.8052), on_duty, boss)
    client = page_for(grid_worker)
    cards = {c.hazard.pk: c for c in client.get("/grid/").context["cards"]}
    assert cards[low.hazard_id].can_verify and not cards[high.hazard_id].can_verify
    client.post(f"/grid/hazards/{high.hazard_id}/verify/", {"task": high.pk, "decision": "approve"})
    assert "Grid workers verify low-severity fixes only" in client.get("/grid/").content.decode()
    high.refresh_from_db()
    assert high.verified_at is None
    client.post(f"/grid/hazards/{low.hazard_id}/verify/", {"task": low.pk, "decision": "approve"})
    low.refresh_from_db()
    assert low.verified_at is not None and low.status == TaskStatus.DONE and low.hazard.status == Status.VERIFIED


def test_the_queue_keeps_its_query_count(
    make_hazard, triaged, grid_worker, on_duty, boss, django_assert_max_num_queries
):
    make_hazard()
    done_task(triaged(severity="low"), on_duty, boss)
    client = page_for(grid_worker)
    with django_assert_max_num_queries(40) as small:
        assert client.get("/grid/").status_code == 200
    for n in range(4):
        make_hazard()
        done_task(triaged(severity="low", latitude=30.9053 + n * 0.0001, longitude=120.8053), on_duty, boss)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/grid/")
    assert len(response.context["cards"]) == 10
