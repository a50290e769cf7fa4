"""Volunteer services: application, every status transition and its permissions, duty, teams,
service records (idempotency and who may review), and the live events they publish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, user_topic
from govern.models import User
from govern.roles import DISPATCHER, RESIDENT, VOLUNTEER, has_role
from tests.factories import UserFactory
from tests.volunteers.conftest import HOME, days, events, last_event_id, next_phone
from volunteers import clean, duty, service_records, services
from volunteers.models import (
    ServiceRecord,
    ServiceRecordStatus,
    Volunteer,
    VolunteerStatus,
    VolunteerStatusChange,
)

pytestmark = pytest.mark.django_db


def roles_of(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


# --- application ---------------------------------------------------------------------------------


def test_apply_creates_pending_profile_with_skills_availability_history_and_event(community, team, skills):
    user = UserFactory(roles=[RESIDENT])
    mark = last_event_id()
    volunteer = services.volunteer_apply(
        actor=user,
        real_name=" 陈一 ",
        phone="13912345678",
        community_id=community.pk,
        team_id=team.pk,
        skills=[clean.SkillClaim("gas-safety", days(30), "GS-1"), clean.SkillClaim("first-aid")],
        availability=[clean.Slot(6, dt.time(9), dt.time(12)), clean.Slot(1, dt.time(18), dt.time(21))],
    )
    assert volunteer.status == VolunteerStatus.PENDING and volunteer.real_name == "陈一"
    assert volunteer.team == team and not volunteer.on_duty
    links = {link.skill.slug: link for link in volunteer.skill_links.select_related("skill")}
    assert set(links) == {"gas-safety", "first-aid"} and links["gas-safety"].certified_until == days(30)
    assert [(s.weekday, s.start_time) for s in volunteer.availability.all()] == [(1, dt.time(18)), (6, dt.time(9))]
    change = VolunteerStatusChange.objects.get(volunteer=volunteer)
    assert (change.from_status, change.to_status, change.actor) == ("", "pending", user)
    applied = events("volunteer.applied", mark)
    assert len(applied) == 1 and set(applied[0].topics) == {DISPATCH_TOPIC, user_topic(user.pk)}
    assert applied[0].data["skills"] == ["first-aid", "gas-safety"] and "phone" not in applied[0].data
    assert VOLUNTEER not in roles_of(user)  # not before approval


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"real_name": "  "}, "real_name"),
        ({"phone": "12345678901"}, "phone"),
        ({"phone": "1391234567"}, "phone"),
        ({"community_id": 999999}, "community"),
        ({"skills": [clean.SkillClaim("knitting")]}, "skills"),
        ({"skills": [clean.SkillClaim("first-aid"), clean.SkillClaim("first-aid")]}, "skills"),
        ({"skills": [clean.SkillClaim("gas-safety", days(-1))]}, "skills"),
        ({"availability": [clean.Slot(8, dt.time(9), dt.time(10))]}, "availability"),
        ({"availability": [clean.Slot(1, dt.time(10), dt.time(9))]}, "availability"),
        (
            {"availability": [clean.Slot(1, dt.time(9), dt.time(12)), clean.Slot(1, dt.time(11), dt.time(13))]},
            "availability",
        ),
    ],
)
def test_apply_rejects_bad_input_naming_the_field_and_writes_nothing(community, skills, kwargs, field):
    user = UserFactory()
    base = {"actor": user, "real_name": "陈一", "phone": "13912345678", "community_id": community.pk}
    with pytest.raises(InvalidInput) as err:
        services.volunteer_apply(**{**base, **kwargs})
    assert err.value.field == field
    assert not Volunteer.objects.exists() and not events()


def test_apply_team_of_another_community_is_refused(community, other_community):
    foreign = services.team_create(community_id=other_community.pk, name="芦墟蓝盾志愿队")
    with pytest.raises(InvalidInput) as err:
        services.volunteer_apply(
            actor=UserFactory(), real_name="陈一", phone="13912345678", community_id=community.pk, team_id=foreign.pk
        )
    assert err.value.field == "team" and "芦墟蓝盾志愿队" in str(err.value.message)


def test_one_profile_per_user_and_per_mobile(make_volunteer, community):
    volunteer = make_volunteer(status="pending")
    with pytest.raises(Conflict):
        services.volunteer_apply(actor=volunteer.user, real_name="again", phone=next_phone(), community_id=community.pk)
    with pytest.raises(InvalidInput) as err:
        services.volunteer_apply(actor=UserFactory(), real_name="x", phone=volunteer.phone, community_id=community.pk)
    assert err.value.field == "phone"
    assert Volunteer.objects.count() == 1


def test_rejected_applicant_may_apply_again(make_volunteer, community):
    volunteer = make_volunteer(status="rejected")
    again = services.volunteer_apply(
        actor=volunteer.user, real_name="陈一", phone=volunteer.phone, community_id=community.pk
    )
    assert again.pk == volunteer.pk and again.status == "pending" and again.status_reason == ""
    assert list(again.status_changes.values_list("from_status", "to_status")) == [
        ("", "pending"),
        ("pending", "rejected"),
        ("rejected", "pending"),
    ]


def test_apply_anonymous_requires_login(community):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.volunteer_apply(actor=AnonymousUser(), real_name="x", phone="13912345678", community_id=community.pk)


def test_apply_with_account_creates_a_resident_and_the_application_atomically(community):
    volunteer = services.volunteer_apply_with_account(
        username="newvol",
        password="S3cure-pass-xyz",
        real_name="新志愿者",
        phone="13712345678",
        community_id=community.pk,
    )
    assert volunteer.user.username == "newvol" and volunteer.user.check_password("S3cure-pass-xyz")
    assert roles_of(volunteer.user) == {RESIDENT}
    # A bad application leaves no account behind; a weak password names the field.
    with pytest.raises(InvalidInput) as err:
        services.volunteer_apply_with_account(
            username="ghost", password="S3cure-pass-xyz", real_name="", phone="13712345679", community_id=community.pk
        )
    assert err.value.field == "real_name" and not User.objects.filter(username="ghost").exists()
    with pytest.raises(InvalidInput) as err:
        services.volunteer_apply_with_account(
            username="ghost", password="123", real_name="x", phone="13712345679", community_id=community.pk
        )
    assert err.value.field == "password"
    with pytest.raises(InvalidInput) as err:
        services.volunteer_apply_with_account(
            username="NEWVOL", password="S3cure-pass-xyz", real_name="x", phone="13712345679", community_id=community.pk
        )
    assert err.value.field == "username"


# --- transitions -------------------------------------------------------------------------------


def test_approve_adds_role_history_and_live_event_to_applicant_and_dispatch(make_volunteer, boss):
    volunteer = make_volunteer(status="pending")
    mark = last_event_id()
    services.volunteer_approve(volunteer_id=volunteer.pk, actor=boss, reason="welcome")
    volunteer.refresh_from_db()
    assert volunteer.status == "approved" and volunteer.status_reason == "welcome"
    assert VOLUNTEER in roles_of(volunteer.user)
    last = volunteer.status_changes.last()
    assert (last.from_status, last.to_status, last.actor, last.reason) == ("pending", "approved", boss, "welcome")
    (event,) = events("volunteer.status_changed", mark)
    assert set(event.topics) == {user_topic(volunteer.user_id), DISPATCH_TOPIC}
    assert event.data["status"] == "approved" and event.data["from_status"] == "pending"
    assert event.data["actor_id"] == boss.pk


def test_reject_needs_a_reason_and_the_applicant_sees_it(make_volunteer, boss):
    volunteer = make_volunteer(status="pending")
    with pytest.raises(InvalidInput) as err:
        services.volunteer_reject(volunteer_id=volunteer.pk, actor=boss, reason="   ")
    assert err.value.field == "reason"
    services.volunteer_reject(volunteer_id=volunteer.pk, actor=boss, reason="请先完成培训")
    volunteer.refresh_from_db()
    assert volunteer.status == "rejected" and volunteer.status_reason == "请先完成培训"
    assert events("volunteer.status_changed")[-1].data["reason"] == "请先完成培训"


def test_suspend_takes_volunteer_off_duty_out_of_role_and_leadership_then_reinstate(make_volunteer, boss, team):
    volunteer = make_volunteer(position=HOME, team=team, leader=True)
    assert volunteer.on_duty and volunteer.is_team_leader
    mark = last_event_id()
    services.volunteer_suspend(volunteer_id=volunteer.pk, actor=boss, reason="complaint")
    volunteer.refresh_from_db()
    assert volunteer.status == "suspended" and not volunteer.on_duty and volunteer.latitude is None
    assert not volunteer.is_team_leader and VOLUNTEER not in roles_of(volunteer.user)
    types = [e.type for e in events(after=mark)]
    assert "volunteer.status_changed" in types and types.count("volunteer.duty_changed") == 2  # owner + dispatch
    with pytest.raises(Conflict):
        duty.volunteer_duty_set(actor=volunteer.user, on_duty=True, latitude=HOME[0], longitude=HOME[1])
    services.volunteer_reinstate(volunteer_id=volunteer.pk, actor=boss)
    volunteer.refresh_from_db()
    assert volunteer.status == "approved" and VOLUNTEER in roles_of(volunteer.user)


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("approved", "approve"),
        ("rejected", "approve"),
        ("suspended", "approve"),
        ("approved", "reject"),
        ("suspended", "reject"),
        ("rejected", "reject"),
        ("pending", "suspend"),
        ("rejected", "suspend"),
        ("suspended", "suspend"),
        ("pending", "reinstate"),
        ("approved", "reinstate"),
        ("rejected", "reinstate"),
    ],
)
def test_illegal_transitions_are_409_with_a_sentence(make_volunteer, boss, start, action):
    volunteer = make_volunteer(status=start)
    before = volunteer.status_changes.count()
    with pytest.raises(Conflict) as err:
        getattr(services, f"volunteer_{action}")(volunteer_id=volunteer.pk, actor=boss, reason="r")
    assert str(err.value.message)
    volunteer.refresh_from_db()
    assert volunteer.status == start and volunteer.status_changes.count() == before


@pytest.mark.parametrize("action", ["approve", "reject", "suspend", "reinstate"])
def test_a_resident_or_volunteer_cannot_decide(make_volunteer, action):
    target = make_volunteer(status="pending")
    fellow = make_volunteer()
    for actor in (UserFactory(roles=[RESIDENT]), fellow.user):
        with pytest.raises(PermissionDenied):
            getattr(services, f"volunteer_{action}")(volunteer_id=target.pk, actor=actor, reason="r")
    target.refresh_from_db()
    assert target.status == "pending"


def test_a_dispatcher_cannot_approve_their_own_application(make_volunteer, boss):
    own = make_volunteer(status="pending", user=UserFactory(roles=[DISPATCHER]))
    with pytest.raises(PermissionDenied):
        services.volunteer_approve(volunteer_id=own.pk, actor=own.user)


def test_unknown_volunteer_is_404(boss):
    with pytest.raises(NotFound):
        services.volunteer_approve(volunteer_id=424242, actor=boss)


def test_superuser_counts_as_dispatcher(make_volunteer):
    admin = User.objects.create_superuser("root", "r@example.org", "pw")
    volunteer = make_volunteer(status="pending")
    services.volunteer_approve(volunteer_id=volunteer.pk, actor=admin)
    assert Volunteer.objects.get(pk=volunteer.pk).status == "approved"


# --- duty --------------------------------------------------------------------------------------


def test_pending_volunteer_cannot_go_on_duty(make_volunteer):
    volunteer = make_volunteer(status="pending")
    with pytest.raises(Conflict) as err:
        duty.volunteer_duty_set(actor=volunteer.user, on_duty=True, latitude=HOME[0], longitude=HOME[1])
    assert err.value.code == "not_approved"
    assert not Volunteer.objects.get(pk=volunteer.pk).on_duty


def test_duty_needs_a_profile_and_a_valid_position(make_volunteer):
    with pytest.raises(NotFound):
        duty.volunteer_duty_set(actor=UserFactory(), on_duty=True, latitude=1, longitude=1)
    volunteer = make_volunteer()
    for lat, lng, field in [
        (None, 120.8, "latitude"),
        (30.9, None, "longitude"),
        (91, 120.8, "latitude"),
        (30.9, 181, "longitude"),
        (float("nan"), 120.8, "latitude"),
        ("30.9", 120.8, "latitude"),
    ]:
        with pytest.raises(InvalidInput) as err:
            duty.volunteer_duty_set(actor=volunteer.user, on_duty=True, latitude=lat, longitude=lng)
        assert err.value.field == field
    assert not Volunteer.objects.get(pk=volunteer.pk).on_duty


def test_on_duty_publishes_position_to_dispatch_only_and_off_duty_forgets_it(make_volunteer):
    volunteer = make_volunteer()
    mark = last_event_id()
    duty.volunteer_duty_set(actor=volunteer.user, on_duty=True, latitude=30.91, longitude=120.81)
    volunteer.refresh_from_db()
    assert volunteer.on_duty and (volunteer.latitude, volunteer.longitude) == (30.91, 120.81)
    assert volunteer.position_fresh()
    changed = events("volunteer.duty_changed", mark)
    by_topic = {tuple(e.topics): e.data for e in changed}
    assert by_topic[(DISPATCH_TOPIC,)]["latitude"] == 30.91 and by_topic[(DISPATCH_TOPIC,)]["on_duty"] is True
    assert "latitude" not in by_topic[(user_topic(volunteer.user_id),)]
    mark = last_event_id()
    duty.volunteer_duty_set(actor=volunteer.user, on_duty=False)
    volunteer.refresh_from_db()
    assert not volunteer.on_duty and volunteer.latitude is None and volunteer.position_updated_at is None
    assert {e.data["on_duty"] for e in events("volunteer.duty_changed", mark)} == {False}
    # Going off duty twice is a quiet no-op.
    mark = last_event_id()
    duty.volunteer_duty_set(actor=volunteer.user, on_duty=False)
    assert events(after=mark) == []


def test_position_updates_publish_when_moved_or_old_enough(make_volunteer, settings):
    settings.VOLUNTEER_POSITION_EVENT_MIN_MOVE_M = 25
    settings.VOLUNTEER_POSITION_EVENT_MIN_INTERVAL = dt.timedelta(seconds=60)
    volunteer = make_volunteer()
    t0 = timezone.now()
    duty.volunteer_duty_set(actor=volunteer.user, on_duty=True, latitude=30.9, longitude=120.8, now=t0)
    mark = last_event_id()
    # 5 m away, 10 s later: stored but not published.
    duty.volunteer_duty_set(
        actor=volunteer.user, on_duty=True, latitude=30.90004, longitude=120.8, now=t0 + dt.timedelta(seconds=10)
    )
    assert events(after=mark) == []
    assert Volunteer.objects.get(pk=volunteer.pk).latitude == 30.90004
    # 100 m away: published to dispatchers only.
    duty.volunteer_duty_set(
        actor=volunteer.user, on_duty=True, latitude=30.901, longitude=120.8, now=t0 + dt.timedelta(seconds=20)
    )
    (moved,) = events(after=mark)
    assert moved.type == "volunteer.position_changed" and moved.topics == [DISPATCH_TOPIC]
    assert moved.data["latitude"] == 30.901
    # Same place, two minutes later: published (keeps the map's freshness honest).
    mark = last_event_id()
    duty.volunteer_duty_set(
        actor=volunteer.user, on_duty=True, latitude=30.901, longitude=120.8, now=t0 + dt.timedelta(seconds=140)
    )
    assert [e.type for e in events(after=mark)] == ["volunteer.position_changed"]


def test_positions_go_stale_after_the_configured_age(make_volunteer, settings):
    settings.VOLUNTEER_POSITION_MAX_AGE = dt.timedelta(minutes=5)
    volunteer = make_volunteer()
    duty.volunteer_duty_set(
        actor=volunteer.user, on_duty=True, latitude=30.9, longitude=120.8, now=timezone.now() - dt.timedelta(minutes=6)
    )
    volunteer.refresh_from_db()
    assert volunteer.on_duty and not volunteer.position_fresh()


# --- profile and teams -------------------------------------------------------------------------


def test_owner_updates_profile_moving_team_drops_leadership(make_volunteer, team, community, boss, skills):
    volunteer = make_volunteer(team=team, leader=True)
    other_team = services.team_create(community_id=community.pk, name="第二队")
    services.volunteer_update(
        volunteer_id=volunteer.pk,
        actor=volunteer.user,
        team_id=other_team.pk,
        real_name="陈一一",
        skills=[clean.SkillClaim("first-aid")],
        availability=[clean.Slot(7, dt.time(8), dt.time(17))],
    )
    volunteer.refresh_from_db()
    assert volunteer.team == other_team and not volunteer.is_team_leader and volunteer.real_name == "陈一一"
    assert list(volunteer.skills.values_list("slug", flat=True)) == ["first-aid"]
    with pytest.raises(PermissionDenied):
        services.volunteer_update(volunteer_id=volunteer.pk, actor=volunteer.user, max_active_tasks=5)
    services.volunteer_update(volunteer_id=volunteer.pk, actor=boss, max_active_tasks=5)
    assert Volunteer.objects.get(pk=volunteer.pk).max_active_tasks == 5
    with pytest.raises(PermissionDenied):
        services.volunteer_update(volunteer_id=volunteer.pk, actor=UserFactory(), real_name="hijack")


def test_moving_community_leaves_the_old_team(make_volunteer, team, other_community):
    volunteer = make_volunteer(team=team)
    services.volunteer_update(volunteer_id=volunteer.pk, actor=volunteer.user, community_id=other_community.pk)
    volunteer.refresh_from_db()
    assert volunteer.community == other_community and volunteer.team is None


def test_team_leader_rules(make_volunteer, team, boss):
    member = make_volunteer(team=team)
    loner = make_volunteer()
    pending = make_volunteer(status="pending", team=team)
    with pytest.raises(PermissionDenied):
        services.team_leader_set(volunteer_id=member.pk, is_leader=True, actor=member.user)
    with pytest.raises(Conflict):
        services.team_leader_set(volunteer_id=loner.pk, is_leader=True, actor=boss)
    with pytest.raises(Conflict):
        services.team_leader_set(volunteer_id=pending.pk, is_leader=True, actor=boss)
    services.team_leader_set(volunteer_id=member.pk, is_leader=True, actor=boss)
    assert Volunteer.objects.get(pk=member.pk).is_team_leader
    with pytest.raises(InvalidInput):
        services.team_create(community_id=team.community_id, name=team.name)


# --- service records ---------------------------------------------------------------------------


def test_service_record_create_is_idempotent_per_source_ref(make_volunteer, team, boss):
    volunteer = make_volunteer(team=team)
    mark = last_event_id()
    first = service_records.service_record_create(
        volunteer_user_id=volunteer.user_id,
        minutes=35,
        source_ref="task:1",
        note="cleared fire passage",
        actor=boss,
    )
    again = service_records.service_record_create(
        volunteer_user_id=volunteer.user_id, minutes=35, source_ref="task:1", note="retry", actor=boss
    )
    assert first.pk == again.pk and ServiceRecord.objects.count() == 1
    assert first.status == "approved" and first.team == team and first.reviewed_by == boss
    assert Volunteer.objects.get(pk=volunteer.pk).service_minutes == 35
    (recorded,) = events("volunteer.service_recorded", mark)
    assert recorded.topics == [user_topic(volunteer.user_id)] and recorded.data["total_minutes"] == 35
    other = make_volunteer()
    with pytest.raises(Conflict):
        service_records.service_record_create(volunteer_user_id=other.user_id, minutes=10, source_ref="task:1", note="")
    with pytest.raises(NotFound):
        service_records.service_record_create(
            volunteer_user_id=UserFactory().pk, minutes=10, source_ref="task:2", note=""
        )
    for minutes in (0, -5, 1441, 2.5, True):
        with pytest.raises(InvalidInput) as err:
            service_records.service_record_create(
                volunteer_user_id=volunteer.user_id, minutes=minutes, source_ref="task:3", note=""
            )
        assert err.value.field == "minutes"
    assert Volunteer.objects.get(pk=volunteer.pk).service_minutes == 35


def test_manual_minutes_reviewed_by_team_leader_never_by_the_volunteer(make_volunteer, team, boss):
    leader = make_volunteer(team=team, leader=True)
    member = make_volunteer(team=team)
    mark = last_event_id()
    record = service_records.service_record_submit(actor=member.user, minutes=90, served_on=days(-1), note="敬老院巡查")
    assert record.status == "pending" and record.submitted_by == member.user
    (submitted,) = events("volunteer.service_record_submitted", mark)
    assert user_topic(leader.user_id) in submitted.topics and DISPATCH_TOPIC in submitted.topics
    with pytest.raises(PermissionDenied) as err:
        service_records.service_record_approve(record_id=record.pk, actor=member.user)
    assert "自己" in str(err.value.message)
    assert Volunteer.objects.get(pk=member.pk).service_minutes == 0
    service_records.service_record_approve(record_id=record.pk, actor=leader.user)
    record.refresh_from_db()
    assert record.status == "approved" and record.reviewed_by == leader.user
    assert Volunteer.objects.get(pk=member.pk).service_minutes == 90
    reviewed = events("volunteer.service_record_reviewed")[-1]
    assert user_topic(member.user_id) in reviewed.topics and reviewed.data["total_minutes"] == 90
    with pytest.raises(Conflict):
        service_records.service_record_reject(record_id=record.pk, actor=boss, reason="late")


def test_a_leader_cannot_approve_their_own_minutes_even_as_dispatcher(make_volunteer, team):
    leader = make_volunteer(team=team, leader=True, user=UserFactory(roles=[RESIDENT, DISPATCHER]))
    record = service_records.service_record_submit(actor=leader.user, minutes=30, served_on=days(0), note="self")
    with pytest.raises(PermissionDenied):
        service_records.service_record_approve(record_id=record.pk, actor=leader.user)
    assert ServiceRecord.objects.get(pk=record.pk).status == "pending"


def test_who_else_may_not_review(make_volunteer, team, community, boss):
    member = make_volunteer(team=team)
    other_team = services.team_create(community_id=community.pk, name="别的队")
    other_leader = make_volunteer(team=other_team, leader=True)
    teammate = make_volunteer(team=team)
    record = service_records.service_record_submit(actor=member.user, minutes=30, served_on=days(0), note="巡查")
    for actor in (other_leader.user, teammate.user, UserFactory(roles=[RESIDENT])):
        with pytest.raises(PermissionDenied):
            service_records.service_record_approve(record_id=record.pk, actor=actor)
    # A suspended leader loses the power.
    leader = make_volunteer(team=team, leader=True)
    services.volunteer_suspend(volunteer_id=leader.pk, actor=boss, reason="x")
    with pytest.raises(PermissionDenied):
        service_records.service_record_approve(record_id=record.pk, actor=leader.user)
    with pytest.raises(InvalidInput):
        service_records.service_record_reject(record_id=record.pk, actor=boss, reason="")
    service_records.service_record_reject(record_id=record.pk, actor=boss, reason="no evidence")
    record.refresh_from_db()
    assert record.status == ServiceRecordStatus.REJECTED and record.review_reason == "no evidence"
    assert Volunteer.objects.get(pk=member.pk).service_minutes == 0


def test_manual_submission_rules(make_volunteer, settings):
    pending = make_volunteer(status="pending")
    with pytest.raises(Conflict):
        service_records.service_record_submit(actor=pending.user, minutes=30, served_on=days(0), note="x")
    volunteer = make_volunteer()
    settings.VOLUNTEER_MANUAL_RECORD_MAX_MINUTES = 600
    for kwargs, field in [
        ({"minutes": 601}, "minutes"),
        ({"served_on": days(1)}, "served_on"),
        ({"served_on": days(-61)}, "served_on"),
        ({"note": " "}, "note"),
    ]:
        with pytest.raises(InvalidInput) as err:
            service_records.service_record_submit(
                **{"actor": volunteer.user, "minutes": 30, "served_on": days(0), "note": "x", **kwargs}
            )
        assert err.value.field == field
    assert not ServiceRecord.objects.exists()


def test_role_group_exists(db):
    assert Group.objects.filter(name=VOLUNTEER).exists()
    user = UserFactory(roles=[RESIDENT])
    assert not has_role(user, VOLUNTEER)
