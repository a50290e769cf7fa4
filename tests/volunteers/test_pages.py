"""Server-rendered pages: apply (resident and visitor), my page, approvals, teams, the no-JS form
fallbacks, privacy in templates, and constant query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from govern.models import LiveEvent, User
from govern.roles import DISPATCHER, RESIDENT
from tests.factories import UserFactory
from tests.volunteers.conftest import HOME, days, next_phone
from volunteers import clean, service_records
from volunteers.models import ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db


def form_data(community, **extra):
    return {
        "real_name": "陈一",
        "phone": next_phone(),
        "community": community.pk,
        "skills": ["gas-safety"],
        "until_gas-safety": str(days(100)),
        "weekdays": ["1", "3"],
        "start": "18:00",
        "end": "21:00",
        **extra,
    }


def test_apply_page_for_visitors_has_account_fields(client, community, team, skills):
    html = client.get("/volunteers/apply/").content.decode()
    assert 'name="username"' in html and 'name="password1"' in html
    assert f'data-community="{community.pk}"' in html and "燃气安全" in html
    assert "js/volunteers/apply.js" in html and "<script>" not in html  # CSP: no inline scripts


def test_visitor_applies_and_is_logged_in(client, community, team, skills):
    data = form_data(
        community, username="walkin", password1="S3cure-pass-xyz", password2="S3cure-pass-xyz", team=team.pk
    )
    response = client.post("/volunteers/apply/", data)
    assert response.status_code == 302 and response["Location"] == "/volunteers/me/"
    volunteer = Volunteer.objects.get(user__username="walkin")
    assert volunteer.status == "pending" and volunteer.team == team
    assert volunteer.skill_links.get().certified_until == days(100)
    assert [(s.weekday, s.start_time.hour) for s in volunteer.availability.all()] == [(1, 18), (3, 18)]
    page = client.get("/volunteers/me/").content.decode()
    assert "待审核" in page and 'id="duty-toggle"' in page
    assert re.search(r'id="duty-toggle"[^>]*disabled', page.replace("\n", " "))


@pytest.mark.parametrize(
    ("change", "field_text"),
    [
        ({"password2": "other-pass-xyz1"}, "password2"),
        ({"phone": "12345"}, "phone"),
        ({"username": "taken"}, "username"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"until_gas-safety": str(days(-3))}, "skills"),
        ({"start": ""}, "start"),
    ],
)
def test_visitor_apply_errors_keep_nothing(client, community, skills, change, field_text):
    UserFactory(username="taken")
    data = {
        **form_data(community, username="newbie", password1="S3cure-pass-xyz", password2="S3cure-pass-xyz"),
        **change,
    }
    response = client.post("/volunteers/apply/", data)
    assert response.status_code == 200
    assert response.context["form"].errors, response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists() and not Volunteer.objects.exists()
    assert "field-error" in response.content.decode()


def test_resident_applies_with_prefilled_phone(client, community, skills):
    user = UserFactory(roles=[RESIDENT], phone="13611112222")
    client.force_login(user)
    html = client.get("/volunteers/apply/").content.decode()
    assert 'name="username"' not in html and 'value="13611112222"' in html
    assert client.post("/volunteers/apply/", form_data(community, phone="13611112222")).status_code == 302
    assert Volunteer.objects.get(user=user).phone == "13611112222"
    # Already applied: the form sends them to their page.
    assert client.get("/volunteers/apply/")["Location"] == "/volunteers/me/"
    assert client.get("/volunteers/")["Location"] == "/volunteers/me/"


def test_rejected_applicant_sees_reason_and_can_reapply(client, make_volunteer, community, skills):
    volunteer = make_volunteer(status="rejected")
    client.force_login(volunteer.user)
    page = client.get("/volunteers/me/").content.decode()
    assert "not local" in page and "/volunteers/apply/" in page
    form = client.get("/volunteers/apply/")
    assert form.status_code == 200 and form.context["reapplying"]
    assert client.post("/volunteers/apply/", form_data(community, phone=volunteer.phone)).status_code == 302
    assert Volunteer.objects.get(pk=volunteer.pk).status == "pending"


def test_me_page_redirects(client):
    assert client.get("/volunteers/me/")["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get("/volunteers/me/")["Location"] == "/volunteers/apply/"
    assert client.get("/volunteers/")["Location"] == "/volunteers/apply/"


def test_me_page_for_an_approved_volunteer(client, make_volunteer, team):
    volunteer = make_volunteer(team=team, position=HOME)
    service_records.service_record_create(volunteer_user_id=volunteer.user_id, minutes=40, source_ref="task:9", note="")
    client.force_login(volunteer.user)
    response = client.get("/volunteers/me/")
    html = response.content.decode()
    assert 'aria-checked="true"' in html and 'data-approved="true"' in html
    assert 'href="/wallet/"' in html and f"/volunteers/teams/{team.pk}/" in html
    assert 'data-minutes="40"' in html
    assert f'data-last-event-id="{LiveEvent.objects.order_by("-id").first().pk}"' in html
    assert str(HOME[0]) not in html  # the page never prints coordinates


def test_manual_minutes_through_the_page_and_leader_review_fallback(client, make_volunteer, team):
    leader = make_volunteer(team=team, leader=True)
    member = make_volunteer(team=team)
    client.force_login(member.user)
    response = client.post("/volunteers/me/service/", {"served_on": str(days(-1)), "minutes": "45", "note": "巡查"})
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    bad = client.post("/volunteers/me/service/", {"served_on": str(days(2)), "minutes": "45", "note": "x"}, follow=True)
    assert ServiceRecord.objects.count() == 1
    assert "服务日期不能晚于今天" in bad.content.decode()
    # Own minutes: refused with a message, nothing changes.
    client.post(f"/volunteers/service-records/{record.pk}/review/", {"decision": "approve"})
    assert ServiceRecord.objects.get().status == "pending"
    client.force_login(leader.user)
    team_page = client.get(f"/volunteers/teams/{team.pk}/").content.decode()
    assert f'data-record-id="{record.pk}"' in team_page
    row = client.get(f"/volunteers/service-records/{record.pk}/row/")
    assert row.status_code == 200 and "巡查" in row.content.decode()
    response = client.post(
        f"/volunteers/service-records/{record.pk}/review/",
        {"decision": "approve", "next": f"/volunteers/teams/{team.pk}/"},
    )
    assert response["Location"] == f"/volunteers/teams/{team.pk}/"
    assert ServiceRecord.objects.get().status == "approved"
    assert Volunteer.objects.get(pk=member.pk).service_minutes == 45


def test_approvals_page_is_for_dispatchers(client, make_volunteer):
    make_volunteer(status="pending")
    assert client.get("/volunteers/approvals/")["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory(roles=[RESIDENT]))
    assert client.get("/volunteers/approvals/").status_code == 403
    client.force_login(make_volunteer().user)
    assert client.get("/volunteers/approvals/").status_code == 403


@pytest.mark.parametrize("size", [2, 12])
def test_approvals_page_lists_queue_in_constant_queries(
    client, make_volunteer, team, skills, boss, size, django_assert_max_num_queries
):
    applicants = [
        make_volunteer(
            status="pending",
            team=team,
            skills={"first-aid": None},
            availability=[clean.Slot(1, dt.time(9), dt.time(12))],
        )
        for _ in range(size)
    ]
    member = make_volunteer(team=team)
    service_records.service_record_submit(actor=member.user, minutes=30, served_on=days(0), note="巡查")
    client.force_login(boss)
    with django_assert_max_num_queries(12):
        response = client.get("/volunteers/approvals/")
    html = response.content.decode()
    assert html.count('class="card vol-app"') == size and html.count('class="card vol-record"') == 1
    assert applicants[0].phone in html  # dispatchers see full numbers
    assert html.index(f'application-{applicants[0].pk}"') < html.index(f'application-{applicants[-1].pk}"')


def test_decide_fallback(client, make_volunteer, boss):
    applicant = make_volunteer(status="pending")
    client.force_login(boss)
    response = client.post(
        f"/volunteers/approvals/{applicant.pk}/decide/", {"decision": "reject", "reason": ""}, follow=True
    )
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"
    assert "原因 不能为空" in response.content.decode()
    client.post(f"/volunteers/approvals/{applicant.pk}/decide/", {"decision": "approve"})
    assert Volunteer.objects.get(pk=applicant.pk).status == "approved"
    assert client.get(f"/volunteers/approvals/{applicant.pk}/row/").status_code == 404  # no longer pending
    client.force_login(UserFactory(roles=[RESIDENT]))
    other = make_volunteer(status="pending")
    assert client.post(f"/volunteers/approvals/{other.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert client.get(f"/volunteers/approvals/{other.pk}/row/").status_code == 403
    assert Volunteer.objects.get(pk=other.pk).status == "pending"


def test_team_page_privacy(client, make_volunteer, team):
    leader = make_volunteer(team=team, leader=True, real_name="队长")
    member = make_volunteer(team=team, real_name="队员")
    masked = f"{leader.phone[:3]}****{leader.phone[-4:]}"
    anonymous = client.get(f"/volunteers/teams/{team.pk}/").content.decode()
    assert "队长" in anonymous and leader.phone not in anonymous and masked not in anonymous
    client.force_login(member.user)
    html = client.get(f"/volunteers/teams/{team.pk}/").content.decode()
    assert masked in html and leader.phone not in html and member.phone in html
    client.force_login(UserFactory(roles=[DISPATCHER]))
    assert leader.phone in client.get(f"/volunteers/teams/{team.pk}/").content.decode()
    assert client.get("/volunteers/teams/99999/").status_code == 404


@pytest.mark.parametrize("size", [3, 14])
def test_team_page_constant_queries(client, make_volunteer, team, skills, size, django_assert_max_num_queries):
    members = [make_volunteer(team=team, skills={"first-aid": None}) for _ in range(size)]
    client.force_login(members[0].user)
    with django_assert_max_num_queries(15):  # one of them: the menu asks whether the person answers for a premises
        response = client.get(f"/volunteers/teams/{team.pk}/")
    assert response.content.decode().count("data-volunteer-id") == size
    with django_assert_max_num_queries(5):  # one of them: the menu asks whether the person answers for a premises
        assert client.get("/volunteers/teams/").status_code == 200


def test_team_page_paginates_members(client, make_volunteer, team, boss, settings):
    from volunteers import views

    for _ in range(3):
        make_volunteer(team=team)
    client.force_login(boss)
    original = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        first = client.get(f"/volunteers/teams/{team.pk}/").content.decode()
        second = client.get(f"/volunteers/teams/{team.pk}/?page=2").content.decode()
    finally:
        views.PAGE_SIZE = original
    assert first.count("data-volunteer-id") == 2 and second.count("data-volunteer-id") == 1
    assert "?page=2" in first


def test_dispatcher_suspends_and_reinstates_from_the_team_page(client, make_volunteer, team, boss):
    member = make_volunteer(team=team, real_name="队员", position=(30.905, 120.805))
    page = f"/volunteers/teams/{team.pk}/"
    client.force_login(member.user)  # members see no standing buttons, and cannot post them
    assert "/standing/" not in client.get(page).content.decode()
    assert client.post(f"/volunteers/{member.pk}/standing/", {"decision": "suspend", "reason": "x"}).status_code == 403

    client.force_login(boss)
    assert f"/volunteers/{member.pk}/standing/" in client.get(page).content.decode()
    no_reason = client.post(f"/volunteers/{member.pk}/standing/", {"decision": "suspend", "next": page}, follow=True)
    assert Volunteer.objects.get(pk=member.pk).status == "approved"  # a suspension needs a reason
    assert no_reason.redirect_chain[-1][0] == page
    response = client.post(
        f"/volunteers/{member.pk}/standing/", {"decision": "suspend", "reason": "投诉核实中", "next": page}
    )
    assert response.status_code == 302 and response["Location"] == page
    suspended = Volunteer.objects.get(pk=member.pk)
    assert suspended.status == "suspended" and not suspended.on_duty
    assert 'value="reinstate"' in client.get(page).content.decode()
    client.post(f"/volunteers/{member.pk}/standing/", {"decision": "reinstate", "next": "https://evil.example/"})
    assert Volunteer.objects.get(pk=member.pk).status == "approved"
    assert client.post(f"/volunteers/{member.pk}/standing/", {"decision": "fly"}).status_code == 302
