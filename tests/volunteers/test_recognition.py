"""Recognition: star levels by approved hours, certificates of service hours and their public check."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from govern.errors import InvalidInput, NotFound, PermissionDenied
from tests.factories import UserFactory
from tests.volunteers.conftest import days
from volunteers.models import ServiceCertificate
from volunteers.recognition import certificate_for_owner, certificate_issue, mask_name, star_level
from volunteers.service_records import service_record_approve, service_record_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stars_in_hours(settings):
    settings.VOLUNTEER_STAR_HOURS = "1, 2, 3, 10, 20"


def serve(volunteer, boss, minutes: int, day: int = -1) -> None:
    record = service_record_submit(actor=volunteer.user, minutes=minutes, served_on=days(day), note="巡查")
    service_record_approve(record_id=record.pk, actor=boss)
    volunteer.refresh_from_db()


def test_star_levels_follow_the_thresholds_in_settings(settings):
    assert star_level(0).stars == 0
    assert star_level(59).stars == 0
    assert star_level(60).stars == 1
    level = star_level(150)
    assert (level.stars, level.hours, level.next_hours, level.to_next) == (2, 2.5, 3, 0.5)
    assert star_level(20 * 60).next_hours is None
    settings.VOLUNTEER_STAR_HOURS = (100, 300, 600, 1000, 1500)  # the national scale
    assert star_level(99 * 60).stars == 0
    assert star_level(300 * 60).stars == 2


def test_names_are_partly_hidden():
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳娜娜") == "欧**娜"


def test_a_certificate_states_the_hours_of_the_day_and_is_issued_once_per_total(make_volunteer, boss, team):
    volunteer = make_volunteer(team=team, real_name="王小明")
    with pytest.raises(InvalidInput):
        certificate_issue(actor=volunteer.user, volunteer_id=volunteer.pk)  # nothing approved yet
    serve(volunteer, boss, 150)
    first = certificate_issue(actor=volunteer.user, volunteer_id=volunteer.pk)
    assert (first.service_minutes, first.stars, first.real_name, first.team_name) == (150, 2, "王小明", team.name)
    assert len(first.code) >= 16 and first.code.isalnum()
    assert certificate_issue(actor=volunteer.user, volunteer_id=volunteer.pk).pk == first.pk  # twice: the same
    serve(volunteer, boss, 60, day=-2)
    second = certificate_issue(actor=boss, volunteer_id=volunteer.pk)  # a dispatcher may issue it too
    assert second.pk != first.pk and second.service_minutes == 210 and second.stars == 3
    first.refresh_from_db()
    assert first.service_minutes == 150  # the paper keeps saying what it said
    with pytest.raises(PermissionDenied):
        certificate_issue(actor=UserFactory(), volunteer_id=volunteer.pk)
    with pytest.raises(NotFound):
        certificate_for_owner(viewer=UserFactory(), code=first.code)  # someone else's: not found


def test_pending_volunteers_get_no_certificate(make_volunteer):
    volunteer = make_volunteer(status="pending")
    with pytest.raises(InvalidInput):
        certificate_issue(actor=volunteer.user, volunteer_id=volunteer.pk)
    assert not ServiceCertificate.objects.exists()


def test_my_page_shows_the_star_level_and_issues_a_printable_certificate(client, make_volunteer, boss):
    volunteer = make_volunteer(real_name="王小明")
    serve(volunteer, boss, 130)
    client.force_login(volunteer.user)
    page = client.get("/volunteers/me/").content.decode()
    assert 'id="star-level" data-stars="2"' in page
    response = client.post("/volunteers/me/certificates/")
    certificate = ServiceCertificate.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/volunteers/certificates/{certificate.code}/"
    printable = client.get(response["Location"]).content.decode()
    assert certificate.code in printable and "王小明" in printable and "@media print" not in printable
    assert f"/verify/certificate/{certificate.code}/" in printable


def test_team_page_shows_each_members_stars(client, make_volunteer, boss, team):
    member = make_volunteer(team=team)
    serve(member, boss, 200)
    other = make_volunteer(team=team)
    serve(other, boss, 70)
    make_volunteer(team=team)  # no star yet
    client.force_login(member.user)
    page = client.get(f"/volunteers/teams/{team.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-stars="3"' in page and 'data-stars="1"' in page
    client.logout()
    public = client.get(f"/volunteers/teams/{team.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "3 星：1 人" in public and "1 星：1 人" in public  # the levels, without the member list
    assert 'data-stars="3"' not in public


def test_the_public_check_shows_the_certificate_and_answers_a_wrong_code_in_chinese(client, make_volunteer, boss):
    volunteer = make_volunteer(real_name="王小明")
    serve(volunteer, boss, 90)
    certificate = certificate_issue(actor=volunteer.user, volunteer_id=volunteer.pk)
    cache.clear()
    page = client.get(f"/verify/certificate/{certificate.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200 and "王*明" in text and "王小明" not in text and "1.5" in text
    lowered = client.get(f"/verify/certificate/{certificate.code.lower()}/")
    assert lowered.status_code == 200  # typed from paper in lower case
    wrong = client.get("/verify/certificate/NOTACODE2345678/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert wrong.status_code == 404
    assert "没有核验码为" in wrong.content.decode() and 'id="verify-error"' in wrong.content.decode()
    lookup = client.get("/verify/certificate/", {"code": certificate.code.lower()})
    assert lookup.status_code == 302 and lookup["Location"] == f"/verify/certificate/{certificate.code}/"


def test_the_public_check_is_throttled(client, settings, make_volunteer):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "code_lookup": "3/min"},
    }
    cache.clear()
    statuses = [client.get(f"/verify/certificate/GUESS{n:011d}/").status_code for n in range(5)]
    assert statuses[:3] == [404, 404, 404] and statuses[3:] == [429, 429]
    refused = client.get("/verify/certificate/GUESS00000000099/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
