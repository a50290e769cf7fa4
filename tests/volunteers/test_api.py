"""The /api/v1/volunteers/ contract: apply, list with filters, me, duty, decisions, privacy,
teams, service records, errors, and constant query counts."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from govern.roles import DISPATCHER, RESIDENT
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.volunteers.conftest import HOME, days, events, next_phone
from volunteers import service_records, services
from volunteers.models import ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db


def apply_body(community, **extra):
    return {
        "real_name": "陈一",
        "phone": next_phone(),
        "community": community.pk,
        "skills": [{"skill": "gas-safety", "certified_until": str(days(90))}, {"skill": "first-aid"}],
        "availability": [{"weekday": 6, "start": "09:00", "end": "12:00"}],
        **extra,
    }


# --- apply -------------------------------------------------------------------------------------


def test_resident_applies_and_sees_own_full_profile(community, team, skills):
    user = UserFactory(roles=[RESIDENT])
    api = client_for(user)
    body = apply_body(community, team=team.pk)
    response = api.post("/api/v1/volunteers/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "pending" and data["phone"] == body["phone"] and data["user_id"] == user.pk
    assert data["team"] == {"id": team.pk, "name": team.name}
    assert {s["slug"] for s in data["skills"]} == {"gas-safety", "first-aid"}
    assert data["availability"] == [{"weekday": 6, "start": "09:00", "end": "12:00"}]
    assert data["history"][0]["status"] == "pending"
    assert "latitude" not in data
    again = api.post("/api/v1/volunteers/", apply_body(community), format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_applied"


def test_visitor_applies_creating_an_account(api, community, skills):
    cache.clear()
    response = api.post(
        "/api/v1/volunteers/", apply_body(community, username="walkin", password="S3cure-pass-xyz"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert Volunteer.objects.get(user__username="walkin").status == "pending"
    token = api.post("/api/v1/auth/token/", {"username": "walkin", "password": "S3cure-pass-xyz"}, format="json")
    assert token.status_code == 200
    missing = api.post("/api/v1/volunteers/", apply_body(community), format="json")
    assert missing.status_code == 400 and "username" in missing.json()["errors"]


def test_anonymous_applications_are_throttled(api, community, skills, settings):
    cache.clear()
    settings.VOLUNTEER_APPLY_RATE = "2/hour"
    codes = [
        api.post(
            "/api/v1/volunteers/", apply_body(community, username=f"w{i}", password="S3cure-pass-xyz"), format="json"
        ).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    cache.clear()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"community": 99999}, "community"),
        ({"real_name": ""}, "real_name"),
        ({"skills": [{"skill": "knitting"}]}, "skills"),
        ({"skills": [{"skill": "gas-safety", "certified_until": "not-a-date"}]}, "skills"),
        ({"availability": [{"weekday": 9, "start": "09:00", "end": "10:00"}]}, "availability"),
        ({"availability": [{"weekday": 1, "start": "11:00", "end": "10:00"}]}, "availability"),
        ({"team": "abc"}, "team"),
    ],
)
def test_apply_errors_name_the_field(community, skills, change, field):
    api = client_for(UserFactory())
    response = api.post("/api/v1/volunteers/", {**apply_body(community), **change}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["errors"] and body["detail"]
    assert not Volunteer.objects.exists()


# --- list --------------------------------------------------------------------------------------


def test_list_is_for_dispatchers_only(api, make_volunteer):
    volunteer = make_volunteer()
    assert api.get("/api/v1/volunteers/").status_code == 401
    assert client_for(UserFactory(roles=[RESIDENT])).get("/api/v1/volunteers/").status_code == 403
    assert client_for(volunteer.user).get("/api/v1/volunteers/").status_code == 403
    assert client_for(UserFactory(roles=[DISPATCHER])).get("/api/v1/volunteers/").status_code == 200


def test_list_filters(make_volunteer, team, other_community, skills, boss):
    lat, lng = HOME
    near = make_volunteer(position=(lat, lng + 0.002), team=team, skills={"gas-safety": None})
    far = make_volunteer(position=(lat + 0.05, lng), skills={"electrician": None})
    pending = make_volunteer(status="pending", community_obj=other_community)
    off = make_volunteer(skills={"gas-safety": None})
    expired = make_volunteer(skills={"gas-safety": days(3)})
    expired.skill_links.update(certified_until=days(-1))
    api = client_for(boss)

    def ids(**params):
        response = api.get("/api/v1/volunteers/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="pending") == [pending.pk]
    assert ids(community=other_community.pk) == [pending.pk]
    assert ids(team=team.pk) == [near.pk]
    assert ids(skill="gas-safety") == [near.pk, off.pk]
    assert ids(on_duty="true") == [near.pk, far.pk]
    assert set(ids(on_duty="false")) == {pending.pk, off.pk, expired.pk}
    assert ids(near=f"{lat},{lng}", radius_m=10_000) == [near.pk, far.pk]
    assert ids(near=f"{lat},{lng}") == [near.pk]  # default radius 2 km
    assert ids(near=f"{lat},{lng}", radius_m=10_000, skill="electrician") == [far.pk]
    assert ids(q=near.phone[-6:]) == [near.pk]
    row = api.get("/api/v1/volunteers/", {"near": f"{lat},{lng}"}).json()["results"][0]
    assert row["distance_m"] == pytest.approx(191, abs=3) and row["latitude"] == lat and row["phone"] == near.phone


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "30.9"}, "near"),
        ({"near": "abc,def"}, "near"),
        ({"near": "91,120"}, "near"),
        ({"near": "30.9,120.8", "radius_m": "0"}, "radius_m"),
        ({"near": "30.9,120.8", "radius_m": "900000"}, "radius_m"),
        ({"near": "30.9,120.8", "radius_m": "far"}, "radius_m"),
        ({"radius_m": "100"}, "radius_m"),
        ({"status": "sleeping"}, "status"),
        ({"community": "x"}, "community"),
        ({"on_duty": "maybe"}, "on_duty"),
    ],
)
def test_list_bad_filters_are_400_naming_the_field(boss, params, field):
    response = client_for(boss).get("/api/v1/volunteers/", params)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


@pytest.mark.parametrize("size", [3, 15])
def test_list_runs_constant_queries(make_volunteer, team, skills, boss, size, django_assert_max_num_queries):
    for i in range(size):
        make_volunteer(
            team=team, skills={"gas-safety": None, "first-aid": days(100)}, position=(HOME[0] + i * 0.0001, HOME[1])
        )
    api = client_for(boss)
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/volunteers/", {"page_size": 100, "skill": "gas-safety"})
    assert response.json()["count"] == size
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/volunteers/", {"page_size": 100, "near": f"{HOME[0]},{HOME[1]}"})
    assert response.json()["count"] == size


# --- privacy -----------------------------------------------------------------------------------


def test_phone_and_position_privacy(make_volunteer, team, boss):
    owner = make_volunteer(team=team, position=HOME)
    teammate = make_volunteer(team=team)
    stranger = make_volunteer()
    masked = f"{owner.phone[:3]}****{owner.phone[-4:]}"

    by_dispatcher = client_for(boss).get(f"/api/v1/volunteers/{owner.pk}/").json()
    assert by_dispatcher["phone"] == owner.phone and by_dispatcher["latitude"] == HOME[0]
    assert by_dispatcher["history"]

    mine = client_for(owner.user).get("/api/v1/volunteers/me/").json()
    assert mine["phone"] == owner.phone and "latitude" not in mine and mine["position_fresh"] is True
    assert client_for(owner.user).get(f"/api/v1/volunteers/{owner.pk}/").json()["phone"] == owner.phone

    seen_by_teammate = client_for(teammate.user).get(f"/api/v1/volunteers/{owner.pk}/")
    assert seen_by_teammate.status_code == 200
    data = seen_by_teammate.json()
    assert data["phone"] == masked and "latitude" not in data and "history" not in data
    assert owner.phone not in seen_by_teammate.content.decode()

    assert client_for(stranger.user).get(f"/api/v1/volunteers/{owner.pk}/").status_code == 404
    assert client_for(UserFactory()).get(f"/api/v1/volunteers/{owner.pk}/").status_code == 404
    members = client_for(teammate.user).get(f"/api/v1/volunteers/teams/{team.pk}/members/").json()["results"]
    assert {m["phone"] for m in members} >= {masked}
    assert owner.phone not in str(members) and "latitude" not in members[0]
    assert client_for(stranger.user).get(f"/api/v1/volunteers/teams/{team.pk}/members/").status_code == 403
    by_office = client_for(boss).get(f"/api/v1/volunteers/teams/{team.pk}/members/").json()["results"]
    assert owner.phone in {m["phone"] for m in by_office}


# --- me and duty -------------------------------------------------------------------------------


def test_me_get_patch_and_404_without_profile(make_volunteer, skills):
    assert client_for(UserFactory()).get("/api/v1/volunteers/me/").status_code == 404
    volunteer = make_volunteer()
    api = client_for(volunteer.user)
    response = api.patch(
        "/api/v1/volunteers/me/",
        {"real_name": "陈一改", "skills": [{"skill": "electrician"}], "availability": []},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["real_name"] == "陈一改" and [s["slug"] for s in response.json()["skills"]] == [
        "electrician"
    ]
    bad = api.patch("/api/v1/volunteers/me/", {"phone": "999"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["errors"]


def test_duty_endpoint(make_volunteer):
    pending = make_volunteer(status="pending")
    refused = client_for(pending.user).post(
        "/api/v1/volunteers/me/duty/", {"on_duty": True, "latitude": HOME[0], "longitude": HOME[1]}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_approved"

    volunteer = make_volunteer()
    api = client_for(volunteer.user)
    for body, field in [
        ({"on_duty": True}, "latitude"),
        ({"on_duty": True, "latitude": HOME[0]}, "longitude"),
        ({"on_duty": True, "latitude": "north", "longitude": 1}, "latitude"),
        ({"on_duty": True, "latitude": 30, "longitude": 200}, "longitude"),
        ({}, "on_duty"),
    ]:
        response = api.post("/api/v1/volunteers/me/duty/", body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (body, response.json())
    ok = api.post(
        "/api/v1/volunteers/me/duty/", {"on_duty": True, "latitude": HOME[0], "longitude": HOME[1]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["on_duty"] is True and "latitude" not in ok.json()
    off = api.post("/api/v1/volunteers/me/duty/", {"on_duty": False}, format="json")
    assert off.status_code == 200 and off.json()["on_duty"] is False
    assert (
        client_for(UserFactory()).post("/api/v1/volunteers/me/duty/", {"on_duty": False}, format="json").status_code
        == 404
    )


# --- decisions -----------------------------------------------------------------------------------


def test_decisions_over_the_api(make_volunteer, boss):
    applicant = make_volunteer(status="pending")
    url = f"/api/v1/volunteers/{applicant.pk}"
    resident = client_for(UserFactory(roles=[RESIDENT]))
    assert resident.post(f"{url}/approve/").status_code == 403
    assert client_for(applicant.user).post(f"{url}/approve/").status_code == 403
    dispatcher = client_for(boss)
    no_reason = dispatcher.post(f"{url}/reject/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    approved = dispatcher.post(f"{url}/approve/", {"reason": "欢迎"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = dispatcher.post(f"{url}/approve/")
    assert again.status_code == 409 and "待审核" in again.json()["detail"] and "已通过" in again.json()["detail"]
    assert dispatcher.post(f"{url}/reject/", {"reason": "x"}, format="json").status_code == 409
    assert dispatcher.post(f"{url}/suspend/", {"reason": "投诉"}, format="json").json()["status"] == "suspended"
    assert dispatcher.post(f"{url}/reinstate/").json()["status"] == "approved"
    assert dispatcher.post("/api/v1/volunteers/999999/approve/").status_code == 404
    statuses = [e.data["status"] for e in events("volunteer.status_changed")]
    assert statuses == ["approved", "suspended", "approved"]


def test_reject_over_the_api(make_volunteer, boss):
    applicant = make_volunteer(status="pending")
    response = client_for(boss).post(
        f"/api/v1/volunteers/{applicant.pk}/reject/", {"reason": "请先参加培训"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    mine = client_for(applicant.user).get("/api/v1/volunteers/me/").json()
    assert mine["status"] == "rejected" and mine["status_reason"] == "请先参加培训"


# --- skills, teams --------------------------------------------------------------------------------


def test_skills_and_teams_are_public(api, skills, team, make_volunteer):
    make_volunteer(team=team)
    slugs = [s["slug"] for s in api.get("/api/v1/volunteers/skills/").json()["results"]]
    assert slugs == ["first-aid", "electrician", "gas-safety"]
    teams = api.get("/api/v1/volunteers/teams/", {"community": team.community_id}).json()["results"]
    assert teams[0]["name"] == team.name and teams[0]["member_count"] == 1
    assert api.get("/api/v1/volunteers/teams/", {"community": "x"}).status_code == 400
    detail = api.get(f"/api/v1/volunteers/teams/{team.pk}/").json()
    assert detail["member_count"] == 1 and detail["leaders"] == [] and "members" not in detail
    assert api.get(f"/api/v1/volunteers/teams/{team.pk}/members/").status_code == 401
    assert api.get("/api/v1/volunteers/teams/99999/").status_code == 404


@pytest.mark.parametrize("size", [2, 12])
def test_team_members_constant_queries(make_volunteer, team, skills, size, django_assert_max_num_queries):
    members = [make_volunteer(team=team, skills={"first-aid": None}) for _ in range(size)]
    api = client_for(members[0].user)
    with django_assert_max_num_queries(9):
        response = api.get(f"/api/v1/volunteers/teams/{team.pk}/members/", {"page_size": 50})
    assert response.json()["count"] == size


# --- service records -----------------------------------------------------------------------------


def test_manual_service_records_over_the_api(make_volunteer, team, boss):
    leader = make_volunteer(team=team, leader=True)
    member = make_volunteer(team=team)
    api = client_for(member.user)
    created = api.post(
        "/api/v1/volunteers/me/service-records/",
        {"minutes": 60, "served_on": str(days(-2)), "note": "助老陪诊"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    record_id = created.json()["id"]
    assert api.get("/api/v1/volunteers/me/service-records/").json()["count"] == 1
    bad = api.post("/api/v1/volunteers/me/service-records/", {"minutes": 0, "served_on": "x"}, format="json")
    assert bad.status_code == 400 and {"minutes", "served_on", "note"} <= set(bad.json()["errors"])
    # The volunteer cannot approve their own minutes, nor list a review queue.
    assert api.post(f"/api/v1/volunteers/service-records/{record_id}/approve/").status_code == 403
    assert api.get("/api/v1/volunteers/service-records/").status_code == 403
    queue = client_for(leader.user).get("/api/v1/volunteers/service-records/").json()
    assert [r["id"] for r in queue["results"]] == [record_id]
    approved = client_for(leader.user).post(f"/api/v1/volunteers/service-records/{record_id}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert Volunteer.objects.get(pk=member.pk).service_minutes == 60
    assert (
        client_for(boss)
        .post(f"/api/v1/volunteers/service-records/{record_id}/reject/", {"reason": "x"}, format="json")
        .status_code
        == 409
    )
    assert client_for(boss).get("/api/v1/volunteers/service-records/", {"status": "weird"}).status_code == 400
    all_records = client_for(boss).get("/api/v1/volunteers/service-records/", {"status": "all"}).json()
    assert all_records["count"] == 1


@pytest.mark.parametrize("size", [2, 10])
def test_review_queue_constant_queries(make_volunteer, team, boss, size, django_assert_max_num_queries):
    for _ in range(size):
        member = make_volunteer(team=team)
        service_records.service_record_submit(actor=member.user, minutes=30, served_on=days(0), note="巡查")
    api = client_for(boss)
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/volunteers/service-records/", {"page_size": 50})
    assert response.json()["count"] == size == ServiceRecord.objects.count()


def test_schema_documents_the_volunteer_endpoints(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in [
        "/api/v1/volunteers/",
        "/api/v1/volunteers/me/",
        "/api/v1/volunteers/me/duty/",
        "/api/v1/volunteers/{id}/approve/",
        "/api/v1/volunteers/{id}/reject/",
    ]:
        assert path in schema["paths"], path
    list_params = {p["name"] for p in schema["paths"]["/api/v1/volunteers/"]["get"]["parameters"]}
    assert {"status", "community", "team", "skill", "on_duty", "near", "radius_m"} <= list_params
    assert "409" in schema["paths"]["/api/v1/volunteers/me/duty/"]["post"]["responses"]


@pytest.mark.parametrize("size", [2, 9])
def test_small_lists_run_constant_queries(make_volunteer, community, size, django_assert_max_num_queries):
    from volunteers.models import Skill

    for i in range(size):
        Skill.objects.create(slug=f"s{i}", name=f"技能{i}", name_en=f"skill {i}")
        services.team_create(community_id=community.pk, name=f"队{i}")
    volunteer = make_volunteer()
    for i in range(size):
        service_records.service_record_create(
            volunteer_user_id=volunteer.user_id, minutes=10, source_ref=f"task:{i}", note=""
        )
    api = client_for(volunteer.user)
    with django_assert_max_num_queries(3):
        assert api.get("/api/v1/volunteers/skills/", {"page_size": 50}).json()["count"] == size
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/volunteers/teams/", {"page_size": 50}).json()["count"] == size
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/volunteers/me/service-records/", {"page_size": 50}).json()["count"] == size
