"""Ranking responders: distance and ETA, skill, freshness, exclusions, task limit, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from govern.geo import haversine_m
from hazards.dispatch import services
from hazards.dispatch.candidates import rank_candidates, travel
from hazards.dispatch.escalation import tasks_escalate
from hazards.models import Hazard, TaskStatus
from volunteers.models import Skill, VolunteerSkill

pytestmark = pytest.mark.django_db

SPOT = (30.902, 120.802)  # inside the grid, 420 m from its centre (30.905, 120.805)


def _hazard(triaged, **kwargs):
    hazard = triaged(latitude=SPOT[0], longitude=SPOT[1], **kwargs)
    return Hazard.objects.select_related("grid", "category").get(pk=hazard.pk)


def test_ranked_by_eta_with_grid_worker_at_the_grid_centre(triaged, on_duty, grid_worker):
    near = on_duty((30.9021, 120.8021), name="近")  # ~14 m: walking
    far = on_duty((30.930, 120.830), name="远")  # ~4 km: e-bike
    hazard = _hazard(triaged)
    ranked = rank_candidates(hazard)
    assert [c.user_id for c in ranked] == [near.user_id, grid_worker.pk, far.user_id]
    first, worker, last = ranked
    assert first.kind == "volunteer" and first.mode == "walking" and first.position_source == "duty"
    assert first.distance_m == pytest.approx(haversine_m(*SPOT, 30.9021, 120.8021), abs=0.1)
    assert first.eta_s == travel(first.distance_m)[1] and first.eta_s < 15
    assert worker.kind == "grid_worker" and worker.position_source == "grid_centre"
    assert worker.distance_m == pytest.approx(haversine_m(*SPOT, 30.905, 120.805), abs=0.1)
    assert last.mode == "ebike" and last.eta_s == int(-(-last.distance_m // 4.5))


def test_travel_modes_are_configurable(settings):
    settings.HAZARD_TRAVEL_MODES = [{"mode": "drone", "max_m": None, "speed_mps": 8000 / 180}]
    assert travel(8000) == ("drone", 180)


def test_grid_worker_who_is_an_on_duty_volunteer_uses_their_duty_position(triaged, on_duty, grid_worker):
    on_duty((30.9020, 120.8020), user=grid_worker)
    ranked = rank_candidates(_hazard(triaged))
    assert len(ranked) == 1  # listed once, as the grid's worker
    assert ranked[0].kind == "grid_worker" and ranked[0].position_source == "duty" and ranked[0].distance_m < 1


def test_required_skill_filters_volunteers_not_grid_workers(triaged, on_duty, grid_worker, categories):
    today = timezone.localdate()
    skilled = on_duty((30.9025, 120.8025), skills={"electrician": None})
    expired = on_duty((30.9021, 120.8021), skills={"electrician": today + dt.timedelta(days=30)})
    VolunteerSkill.objects.filter(volunteer=expired).update(certified_until=today - dt.timedelta(days=1))
    unskilled = on_duty((30.9022, 120.8022))
    categories["electrical-wiring"].required_skill = Skill.objects.get(slug="electrician")
    categories["electrical-wiring"].save()
    ids = [c.user_id for c in rank_candidates(_hazard(triaged))]
    assert skilled.user_id in ids and grid_worker.pk in ids
    assert expired.user_id not in ids and unskilled.user_id not in ids


def test_stale_positions_are_not_candidates(triaged, on_duty):
    volunteer = on_duty((30.9021, 120.8021))
    hazard = _hazard(triaged)
    assert [c.user_id for c in rank_candidates(hazard)] == [volunteer.user_id]
    later = timezone.now() + dt.timedelta(minutes=16)  # VOLUNTEER_POSITION_MAX_AGE is 15 min
    assert rank_candidates(hazard, now=later) == []


def test_out_of_radius_volunteers_are_not_candidates(triaged, on_duty, settings):
    on_duty((30.93, 120.83))
    settings.HAZARD_CANDIDATE_RADIUS_M = 1000
    assert rank_candidates(_hazard(triaged)) == []


def test_declined_expired_and_holders_are_excluded(triaged, on_duty, boss):
    a, b, c = on_duty((30.9021, 120.8021)), on_duty((30.9022, 120.8022)), on_duty((30.9023, 120.8023))
    hazard = _hazard(triaged)
    t_a = services.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=a.user_id).tasks[0]
    services.task_decline(task_id=t_a.pk, actor=a.user, reason="在外地")
    # declining re-offered the hazard to the next candidate (b), who now holds it
    t_b = hazard.tasks.get(assignee_id=b.user_id)
    assert t_b.status == TaskStatus.OFFERED
    assert [x.user_id for x in rank_candidates(hazard)] == [c.user_id]
    # b lets the offer expire: still excluded after escalation re-offers to c
    tasks_escalate(now=t_b.accept_deadline + dt.timedelta(seconds=1))
    t_b.refresh_from_db()
    assert t_b.status == TaskStatus.EXPIRED
    assert hazard.tasks.get(assignee_id=c.user_id).status == TaskStatus.OFFERED
    assert rank_candidates(hazard) == []


def test_people_at_their_task_limit_are_excluded(triaged, on_duty, boss, grid_worker, settings):
    busy = on_duty((30.9021, 120.8021), max_tasks=1)
    free = on_duty((30.9030, 120.8030), max_tasks=1)
    first = _hazard(triaged)
    services.task_dispatch(hazard_id=first.pk, actor=boss, assignee_id=busy.user_id)
    second = _hazard(triaged)
    ids = [c.user_id for c in rank_candidates(second)]
    assert busy.user_id not in ids and free.user_id in ids and grid_worker.pk in ids
    settings.HAZARD_GRID_WORKER_MAX_ACTIVE_TASKS = 1
    services.task_dispatch(hazard_id=first.pk, actor=boss, assignee_id=grid_worker.pk)
    assert grid_worker.pk not in [c.user_id for c in rank_candidates(second)]


def test_candidates_take_a_constant_number_of_queries(triaged, on_duty, grid_worker, django_assert_max_num_queries):
    hazard = _hazard(triaged)
    on_duty((30.9021, 120.8021))
    with django_assert_max_num_queries(5):
        assert len(rank_candidates(hazard)) == 2
    for i in range(6):
        on_duty((30.9022 + i / 10000, 120.8022))
    with django_assert_max_num_queries(5):
        assert len(rank_candidates(hazard)) == 8


def _north(metres: float) -> tuple[float, float]:
    return SPOT[0] + metres / 111_195.0, SPOT[1]


def test_eta_is_not_monotone_in_distance_and_the_limited_search_knows(triaged, on_duty):
    """Walking 260 m takes 186 s; just past walking's 800 m an e-bike takes 179 s. The first ring
    (300 m) finds only the walker, and must not stop there."""
    walker = on_duty(_north(260))
    rider = on_duty(_north(802))
    hazard = _hazard(triaged)
    assert [c.user_id for c in rank_candidates(hazard)] == [rider.user_id, walker.user_id]
    best = rank_candidates(hazard, limit=1)
    assert [c.user_id for c in best] == [rider.user_id] and best[0].mode == "ebike"


@pytest.mark.parametrize("first_ring, min_batch", [(300.0, 40), (100.0, 1), (50.0, 2), (5000.0, 1)])
def test_a_limited_ranking_is_the_head_of_the_full_ranking(
    triaged, on_duty, grid_worker, boss, monkeypatch, first_ring, min_batch
):
    """Rings and LIMIT cuts (forced small here) return exactly what ranking everyone would."""
    from hazards.dispatch import candidates as module

    metres = [14, 40, 40, 120, 260, 700, 799, 801, 950, 1500, 2600, 4200, 6000]
    people = [on_duty(_north(m), max_tasks=1) for m in metres]
    hazard = _hazard(triaged)
    other = _hazard(triaged)
    services.task_dispatch(hazard_id=other.pk, actor=boss, assignee_id=people[1].user_id)  # at their limit now
    monkeypatch.setattr(module, "FIRST_RING_M", first_ring)
    monkeypatch.setattr(module, "MIN_BATCH", min_batch)
    full = [(c.user_id, c.eta_s, c.distance_m, c.active_tasks) for c in rank_candidates(hazard)]
    assert people[1].user_id not in [row[0] for row in full] and people[-1].user_id not in [row[0] for row in full]
    assert len(full) == len(metres) - 2 + 1  # the busy one and the one out of radius gone; the grid worker in
    for k in range(1, len(full) + 2):
        assert [(c.user_id, c.eta_s, c.distance_m, c.active_tasks) for c in rank_candidates(hazard, limit=k)] == full[
            :k
        ]


def test_a_limited_ranking_in_a_crowd_takes_few_queries(triaged, on_duty, django_assert_max_num_queries):
    for i in range(8):
        on_duty(_north(10 + i))
    hazard = _hazard(triaged)
    with django_assert_max_num_queries(5):
        assert len(rank_candidates(hazard, limit=3)) == 3
