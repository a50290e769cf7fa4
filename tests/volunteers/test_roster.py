"""CSV roster: validation with a row-level report, all-or-nothing (and partial) import, encodings,
export round trip, the admin import/export views and bulk approve, the management commands."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from govern.models import User
from govern.roles import DISPATCHER, RESIDENT, VOLUNTEER
from tests.factories import UserFactory
from tests.volunteers.conftest import days
from volunteers import roster
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

HEADER = "username,real_name,phone,community,team,skills,availability,status,team_leader,password\n"


def good_rows(team) -> str:
    return (
        f"li01,李一,13711110001,lili,{team.name},gas-safety:{days(200)}; first-aid,1-5 18:00-21:00; 6 09:00-12:00,approved,yes,S3cure-pass-xyz\n"
        "li02,李二,13711110002,黎里社区,,electrician,,pending,no,\n"
    )


@pytest.fixture
def staff_dispatcher(db):
    user = UserFactory(roles=[DISPATCHER], is_staff=True)
    return user


def test_a_valid_roster_imports_every_row_through_the_services(team, skills, boss):
    report = roster.roster_import(data=(HEADER + good_rows(team)).encode(), actor=boss)
    assert report.ok and report.committed and (report.rows, report.imported) == (2, 2)
    leader = Volunteer.objects.get(user__username="li01")
    assert leader.status == "approved" and leader.is_team_leader and leader.team == team
    assert leader.user.check_password("S3cure-pass-xyz")
    assert VOLUNTEER in set(leader.user.groups.values_list("name", flat=True))
    assert {link.skill.slug: link.certified_until for link in leader.skill_links.select_related("skill")} == {
        "gas-safety": days(200),
        "first-aid": None,
    }
    assert leader.availability.count() == 6
    assert [c.to_status for c in leader.status_changes.all()] == ["pending", "approved"]
    pending = Volunteer.objects.get(user__username="li02")
    assert pending.status == "pending" and not pending.user.has_usable_password()


def test_a_bad_row_imports_nothing_and_the_report_names_every_bad_row(team, skills, boss, make_volunteer):
    taken = make_volunteer()
    bad = (
        HEADER
        + good_rows(team)
        + "li03,李三,12345,lili,,,,,,\n"  # line 4: phone
        + "li04,李四,13711110004,nowhere,,,,,,\n"  # line 5: community
        + "li05,李五,13711110005,lili,,knitting; gas-safety:2020-01-01,,,,\n"  # line 6: skills
        + "li01,李一,13711110006,lili,,,,,,\n"  # line 7: duplicate username
        + f"li07,李七,{taken.phone},lili,,,9 10:00-11:00,,,\n"  # line 8: phone taken, bad weekday
        + "li08,李八,13711110008,lili,,,,retired,maybe,\n"  # line 9: status, leader
        + "li09,,13711110009,lili,,,1 12:00-10:00,,,\n"  # line 10: name, range
        + "li10,李十,13711110010,lili,,,,pending,yes,\n"  # line 11: leader without team
        + "li11,李十一,13711110011,lili,,,,,,123\n"  # line 12: weak password
    )
    before = (User.objects.count(), Volunteer.objects.count())
    report = roster.roster_import(data=bad.encode(), actor=boss)
    assert not report.committed and report.imported == 0 and report.rows == 11
    assert (User.objects.count(), Volunteer.objects.count()) == before
    by_line = {e.line: " ".join(e.messages) for e in report.errors}
    assert sorted(by_line) == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "12345" in by_line[4]
    assert "nowhere" in by_line[5]
    assert "knitting" in by_line[6] and "2020-01-01" in by_line[6]
    assert "li01" in by_line[7]
    assert taken.phone in by_line[8] and "9 10:00-11:00" in by_line[8]
    assert "approved" in by_line[9] and "yes" in by_line[9]
    assert "real_name" in by_line[10] and "12:00" in by_line[10]
    assert "队长" in by_line[11]
    assert "密码" in by_line[12]
    assert "未导入" in report.summary()


def test_partial_import_keeps_the_good_rows(team, skills, boss):
    data = HEADER + good_rows(team) + "li03,李三,12345,lili,,,,,,\n"
    report = roster.roster_import(data=data.encode(), actor=boss, partial=True)
    assert report.committed and report.imported == 2 and [e.line for e in report.errors] == [4]
    assert set(Volunteer.objects.values_list("user__username", flat=True)) == {"li01", "li02"}


def test_gb18030_file_with_chinese_headers(community, skills, boss):
    text = "用户名,姓名,手机号,社区,技能,可服务时间\nzh01,张三,13722220001,黎里社区,急救,\n".replace(
        "急救", "first-aid"
    )
    report = roster.roster_import(data=text.encode("gb18030"), actor=boss)
    assert report.ok and report.imported == 1
    assert Volunteer.objects.get(user__username="zh01").real_name == "张三"


def test_file_level_problems(boss, community):
    assert (
        "real_name" in roster.roster_import(data=b"username,phone\nx,13700000000\n", actor=boss).errors[0].messages[0]
    )
    assert roster.roster_import(data=b"", actor=boss).errors
    resident = UserFactory(roles=[RESIDENT])
    assert not roster.roster_import(data=(HEADER + "a,b,13700000000,lili,,,,,,\n").encode(), actor=resident).committed
    assert not User.objects.filter(username="a").exists()


def test_existing_resident_becomes_a_volunteer_and_existing_volunteer_is_refused(community, boss, make_volunteer):
    resident = UserFactory(username="oldtimer", roles=[RESIDENT])
    volunteer = make_volunteer()
    data = HEADER + "oldtimer,老街坊,13733330001,lili,,,,,,\n" + f"{volunteer.user.username},x,13733330002,lili,,,,,,\n"
    report = roster.roster_import(data=data.encode(), actor=boss, partial=True)
    assert report.imported == 1 and report.errors[0].line == 3
    assert Volunteer.objects.get(user=resident).status == "approved"


def test_export_matches_the_import_format(team, skills, boss):
    roster.roster_import(data=(HEADER + good_rows(team)).encode(), actor=boss)
    text = roster.roster_csv(Volunteer.objects.order_by("id"))
    assert text.startswith("\ufeffusername,real_name,phone,community,team,skills,availability,status,team_leader")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1].startswith(f"li01,李一,13711110001,lili,{team.name},")
    assert f"gas-safety:{days(200)}" in lines[1] and "1 18:00-21:00; 2 18:00-21:00" in lines[1]
    # Parsing the export back yields the same skills and availability.
    rows, problems = roster.read_rows(text.lstrip("\ufeff"))
    assert not problems
    assert len(roster.parse_availability(rows[0][1]["availability"])) == 6
    assert {c.slug for c in roster.parse_skills(rows[0][1]["skills"])} == {"gas-safety", "first-aid"}


# --- admin ---------------------------------------------------------------------------------------


def test_admin_import_view_reports_bad_rows_then_imports(client, staff_dispatcher, team, skills):
    client.force_login(staff_dispatcher)
    page = client.get("/admin/volunteers/volunteer/import/")
    assert page.status_code == 200 and "username" in page.content.decode()
    bad = SimpleUploadedFile("roster.csv", (HEADER + good_rows(team) + "bad,坏,999,lili,,,,,,\n").encode())
    response = client.post("/admin/volunteers/volunteer/import/", {"file": bad})
    html = response.content.decode()
    assert 'id="roster-errors"' in html and "999" in html and "未导入" in html
    assert not Volunteer.objects.exists()
    good = SimpleUploadedFile("roster.csv", (HEADER + good_rows(team)).encode())
    response = client.post("/admin/volunteers/volunteer/import/", {"file": good})
    assert "已导入" in response.content.decode() and Volunteer.objects.count() == 2


def test_admin_list_bulk_approve_and_export(client, staff_dispatcher, make_volunteer, django_assert_max_num_queries):
    applicants = [make_volunteer(status="pending") for _ in range(3)]
    approved = make_volunteer()
    client.force_login(staff_dispatcher)
    with django_assert_max_num_queries(20):
        changelist = client.get("/admin/volunteers/volunteer/", {"status__exact": "pending", "q": ""})
    assert changelist.status_code == 200 and changelist.content.decode().count('name="_selected_action"') == 3
    response = client.post(
        "/admin/volunteers/volunteer/",
        {"action": "approve_selected", "_selected_action": [v.pk for v in applicants] + [approved.pk]},
    )
    assert response.status_code == 302
    assert set(Volunteer.objects.values_list("status", flat=True)) == {"approved"}
    assert all(Volunteer.objects.get(pk=v.pk).status_changes.last().actor == staff_dispatcher for v in applicants)
    export = client.get("/admin/volunteers/volunteer/export/", {"status__exact": "approved"})
    assert export["Content-Type"].startswith("text/csv") and export.content.decode().count("\n") == 5
    selected = client.post(
        "/admin/volunteers/volunteer/", {"action": "export_selected", "_selected_action": [approved.pk]}
    )
    assert selected.content.decode().count("\n") == 2


def test_admin_is_closed_to_non_dispatcher_staff(client):
    clerk = UserFactory(roles=[RESIDENT], is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/volunteers/volunteer/").status_code == 403
    assert client.get("/admin/volunteers/volunteer/import/").status_code in (302, 403)


def test_admin_change_form_goes_through_the_services(client, staff_dispatcher, make_volunteer, team, other_community):
    volunteer = make_volunteer()
    client.force_login(staff_dispatcher)
    url = f"/admin/volunteers/volunteer/{volunteer.pk}/change/"
    assert client.get(url).status_code == 200
    base = {
        "real_name": "改名",
        "phone": volunteer.phone,
        "community": team.community_id,
        "team": team.pk,
        "is_team_leader": "on",
        "max_active_tasks": 3,
        "skill_links-TOTAL_FORMS": 0,
        "skill_links-INITIAL_FORMS": 0,
        "availability-TOTAL_FORMS": 0,
        "availability-INITIAL_FORMS": 0,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    response = client.post(url, base)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    volunteer.refresh_from_db()
    assert (volunteer.real_name, volunteer.team, volunteer.is_team_leader, volunteer.max_active_tasks) == (
        "改名",
        team,
        True,
        3,
    )
    wrong = client.post(url, {**base, "community": other_community.pk})
    assert wrong.status_code == 200 and "team" in wrong.context["adminform"].form.errors


# --- management commands ---------------------------------------------------------------------------


def test_import_and_export_commands(tmp_path, team, skills):
    admin = User.objects.create_superuser("admin", "a@example.org", "pw")
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + good_rows(team), encoding="utf-8")
    out = io.StringIO()
    call_command("import_volunteers", str(path), stdout=out)
    assert "2" in out.getvalue() and Volunteer.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "x,y,1,lili,,,,,,\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("import_volunteers", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    exported = tmp_path / "out.csv"
    call_command("export_volunteers", "--status", "approved", "-o", str(exported))
    assert exported.read_text(encoding="utf-8").count("\n") == 2
    assert admin.pk and Group.objects.filter(name=VOLUNTEER).exists()
