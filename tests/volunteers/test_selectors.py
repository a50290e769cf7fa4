"""Reads: dispatch's candidate selector (distance, radius, skill and expiry, staleness, exclusions,
duty), its index use, the SQL distance, and the visibility rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from govern.geo import haversine_m
from govern.roles import DISPATCHER
from tests.factories import UserFactory
from tests.volunteers.conftest import HOME, days
from volunteers import duty, selectors, service_records, services
from volunteers.models import Volunteer, VolunteerSkill
from volunteers.selectors import Visibility

pytestmark = pytest.mark.django_db

LAT, LNG = HOME


def offset(north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """A point north_m / east_m metres from HOME (small distances)."""
    import math

    return LAT + north_m / 111_195.0, LNG + east_m / (111_195.0 * math.cos(math.radians(LAT)))


def candidates(**kwargs):
    return selectors.volunteer_candidates(latitude=LAT, longitude=LNG, **{"radius_m": 3000, **kwargs})


def test_nearest_first_with_exact_distance(make_volunteer):
    far = make_volunteer(position=offset(north_m=2000))
    near = make_volunteer(position=offset(east_m=150))
    middle = make_volunteer(position=offset(north_m=-700, east_m=300))
    result = candidates()
    assert [v.pk for v in result] == [near.pk, middle.pk, far.pk]
    for volunteer in result:
        assert volunteer.distance_m == pytest.approx(haversine_m(LAT, LNG, volunteer.latitude, volunteer.longitude))
    assert result[0].distance_m == pytest.approx(150, rel=0.01)
    assert result[0].max_active_tasks == 2 and result[0].user.pk == near.user_id
    assert [v.pk for v in candidates(limit=2)] == [near.pk, middle.pk]


def test_radius_is_a_circle_not_the_box(make_volunteer):
    # 900 m north and 900 m east: inside the 1 km box, 1273 m away.
    corner = make_volunteer(position=offset(north_m=900, east_m=900))
    inside = make_volunteer(position=offset(north_m=990))
    assert [v.pk for v in candidates(radius_m=1000)] == [inside.pk]
    assert corner.pk in [v.pk for v in candidates(radius_m=1300)]


def test_only_approved_on_duty_with_fresh_positions(make_volunteer, settings):
    settings.VOLUNTEER_POSITION_MAX_AGE = dt.timedelta(minutes=15)
    on_duty = make_volunteer(position=offset(east_m=100))
    make_volunteer()  # approved, off duty
    make_volunteer(status="pending")
    make_volunteer(status="suspended", position=offset(east_m=50))  # suspension took them off duty
    stale = make_volunteer()
    duty.volunteer_duty_set(
        actor=stale.user, on_duty=True, latitude=LAT, longitude=LNG, now=timezone.now() - dt.timedelta(minutes=16)
    )
    assert [v.pk for v in candidates()] == [on_duty.pk]
    # Seen from 20 minutes later, the fresh one is stale too; from 10 minutes earlier... the stale one was fresh.
    assert candidates(now=timezone.now() + dt.timedelta(minutes=20)) == []
    assert stale.pk in [v.pk for v in candidates(now=timezone.now() - dt.timedelta(minutes=10))]


def test_skill_and_certificate_expiry(make_volunteer, skills):
    gas = make_volunteer(position=offset(east_m=300), skills={"gas-safety": days(10)})
    lifelong = make_volunteer(position=offset(east_m=400), skills={"gas-safety": None})
    expired = make_volunteer(position=offset(east_m=100), skills={"gas-safety": days(5)})
    VolunteerSkill.objects.filter(volunteer=expired).update(certified_until=days(-1))
    make_volunteer(position=offset(east_m=50), skills={"electrician": None})
    assert [v.pk for v in candidates(skill_slug="gas-safety")] == [gas.pk, lifelong.pk]
    # On the day after `gas`'s certificate ends, only the lifelong holder is left.
    later = timezone.now() + dt.timedelta(days=11)
    for volunteer in (gas, lifelong):
        duty.volunteer_duty_set(
            actor=volunteer.user, on_duty=True, latitude=volunteer.latitude, longitude=volunteer.longitude, now=later
        )
    assert [v.pk for v in candidates(skill_slug="gas-safety", now=later)] == [lifelong.pk]
    assert candidates(skill_slug="no-such-skill") == []
    assert len(candidates()) == 4


def test_exclusions(make_volunteer):
    declined = make_volunteer(position=offset(east_m=10))
    keeper = make_volunteer(position=offset(east_m=20))
    assert [v.pk for v in candidates(exclude_user_ids=[declined.user_id])] == [keeper.pk]
    assert candidates(exclude_user_ids={declined.user_id, keeper.user_id}) == []


def test_candidates_run_one_query(make_volunteer, skills, django_assert_num_queries):
    for i in range(5):
        make_volunteer(position=offset(east_m=100 * (i + 1)), skills={"gas-safety": None})
    with django_assert_num_queries(1):
        result = candidates(skill_slug="gas-safety", exclude_user_ids=[1])
        [v.user.username for v in result] and [v.team for v in result]
    assert len(result) == 5


def test_candidate_query_uses_the_partial_position_index(make_volunteer):
    for i in range(3):
        make_volunteer(position=offset(east_m=100 * i))
    queryset = selectors.candidate_queryset(latitude=LAT, longitude=LNG, radius_m=2000)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Tiny tables make a sequential scan cheapest; ask whether the index *can* serve it.
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "volunteer_duty_position_idx" in plan, plan


def test_sql_distance_matches_python_haversine(make_volunteer):
    points = [offset(east_m=120), offset(north_m=-1500, east_m=800), offset(north_m=4000)]
    for point in points:
        make_volunteer(position=point)
    rows = list(selectors.near(Volunteer.objects.all(), LAT, LNG, 10_000))
    assert len(rows) == 3
    assert [r.distance_m for r in rows] == sorted(r.distance_m for r in rows)
    for row in rows:
        assert row.distance_m == pytest.approx(haversine_m(LAT, LNG, row.latitude, row.longitude), rel=1e-9)
    assert len(list(selectors.near(Volunteer.objects.all(), LAT, LNG, 2000))) == 2


def test_visibility_levels(make_volunteer, team):
    owner = make_volunteer(team=team)
    teammate = make_volunteer(team=team)
    pending_teammate = make_volunteer(team=team, status="pending")
    stranger = make_volunteer()
    assert selectors.visibility(owner.user, owner) == Visibility.OWNER
    assert selectors.visibility(teammate.user, owner) == Visibility.MEMBER
    assert selectors.visibility(pending_teammate.user, owner) is None
    assert selectors.visibility(stranger.user, owner) is None
    assert selectors.visibility(UserFactory(roles=[DISPATCHER]), owner) == Visibility.DISPATCHER
    assert selectors.visibility(None, owner) is None


def test_team_list_counts_members_and_approved_minutes(make_volunteer, team, community, django_assert_num_queries):
    members = [make_volunteer(team=team) for _ in range(3)]
    make_volunteer(team=team, status="pending")
    service_records.service_record_create(
        volunteer_user_id=members[0].user_id, minutes=30, source_ref="task:a", note=""
    )
    service_records.service_record_create(
        volunteer_user_id=members[1].user_id, minutes=45, source_ref="task:b", note=""
    )
    empty = services.team_create(community_id=community.pk, name="空队")
    with django_assert_num_queries(1):
        teams = {t.pk: t for t in selectors.team_list()}
    assert (teams[team.pk].member_count, teams[team.pk].service_minutes) == (3, 75)
    assert (teams[empty.pk].member_count, teams[empty.pk].service_minutes) == (0, 0)
    # Minutes stay with the team they were served in after the member moves on.
    services.volunteer_update(volunteer_id=members[0].pk, actor=members[0].user, team_id=empty.pk)
    teams = {t.pk: t for t in selectors.team_list()}
    assert (teams[team.pk].member_count, teams[team.pk].service_minutes) == (2, 75)
