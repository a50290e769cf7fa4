"""Sign-up, signed-in reports, the tracking page and the volunteer register's mobile numbers are
throttled: each answer there either creates something or says whether a name, number or code is
taken, so none of them may be asked without limit (429 with Retry-After, pages and API alike)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from govern.roles import RESIDENT
from tests.conftest import client_for
from tests.factories import CommunityFactory, UserFactory
from tests.security.summary import record
from tests.security.test_abuse import assert_throttled, report, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

PASSWORD = "S3cure-pass-xyz"


@pytest.fixture
def low_rates(settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    from govern.settings import REST_FRAMEWORK

    rates = {
        **dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "10000/min"),
        "code_lookup": "3/min",
        "signup": "2/hour",
        "user_report": "2/hour",
        "volunteer_phone": "3/hour",
    }
    settings.REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    settings.VOLUNTEER_APPLY_RATE = "10000/min"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def community(db):
    from volunteers.models import Skill

    Skill.objects.get_or_create(slug="first-aid", defaults={"name": "急救", "name_en": "First aid"})
    return CommunityFactory(code="lili", name="黎里社区")


def signup_form(n: int) -> dict:
    return {"username": f"walker{n}", "phone": f"1390000{n:04d}", "password1": PASSWORD, "password2": PASSWORD}


def application(community, phone: str, **extra) -> dict:
    return {"real_name": "陈一", "phone": phone, "community": community.pk, **extra}


def test_sign_up_page_and_account_creating_applications_share_one_allowance_per_address(low_rates, community):
    first = Client().post("/accounts/signup/", signup_form(1))
    assert first.status_code == 302, first.content[:300]
    # Signed in now as walker1: still counted by address, or each new account would reset it.
    second = APIClient().post(
        "/api/v1/volunteers/", application(community, "15800000002", username="walker2", password=PASSWORD), "json"
    )
    assert second.status_code == 201, second.json()
    for attempt in (
        Client().post("/accounts/signup/", signup_form(3)),
        APIClient().post(
            "/api/v1/volunteers/", application(community, "15800000004", username="walker4", password=PASSWORD), "json"
        ),
        Client().post(
            "/volunteers/apply/",
            {
                **application(community, "15800000005"),
                "username": "walker5",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        ),
    ):
        assert_throttled(attempt)
    assert "请" in Client().post("/accounts/signup/", signup_form(6)).content.decode()  # a Chinese sentence
    record("4 abuse: throttles", tried=1, passed=1)


def test_signed_in_reports_are_throttled_per_user_on_the_api_and_the_form(world, low_rates):  # noqa: F811
    reporter = UserFactory(roles=[RESIDENT])
    api = client_for(reporter)
    assert api.post("/api/v1/hazards/", report(world["grid"]), format="multipart").status_code == 201
    page = Client()
    page.force_login(reporter)
    assert page.post("/report/", report(world["grid"])).status_code == 302
    assert_throttled(api.post("/api/v1/hazards/", report(world["grid"]), format="multipart"))
    assert_throttled(page.post("/report/", report(world["grid"])))
    # Per user: another signed-in reporter (same address) still reports.
    other = client_for(UserFactory(roles=[RESIDENT]))
    assert other.post("/api/v1/hazards/", report(world["grid"]), format="multipart").status_code == 201
    record("4 abuse: throttles", tried=1, passed=1)


def test_the_tracking_page_is_throttled_on_its_api_twins_counter(world, low_rates):  # noqa: F811
    page, api = Client(), APIClient()
    assert page.get("/track/NOSUCHCODE/").status_code == 404
    assert page.get("/track/", {"code": "NOSUCHCOD2"}).status_code == 404
    assert api.get("/api/v1/track/NOSUCHCODE/").status_code == 404
    assert_throttled(page.get("/track/NOSUCHCODE/"))
    assert_throttled(page.get("/track/", {"code": "NOSUCHCOD3"}))
    assert_throttled(page.get("/track/NOSUCHCODE/", {"fragment": "status"}))
    assert_throttled(api.get("/api/v1/track/NOSUCHCODE/"))
    record("4 abuse: throttles", tried=1, passed=1)


def test_mobile_numbers_cannot_be_probed_through_the_volunteer_register(low_rates, community):
    from volunteers import services

    holder = UserFactory(roles=[RESIDENT])
    services.volunteer_apply(actor=holder, real_name="王二", phone="13711112222", community_id=community.pk)
    prober = client_for(UserFactory(roles=[RESIDENT]))
    # Each answer tells a taken number from a free one, so each counts, refused or not.
    for phone in ("13711112222", "13711112223", "13711112224"):
        response = prober.post("/api/v1/volunteers/", application(community, phone, real_name="x" * 41), "json")
        assert response.status_code == 400
    assert_throttled(prober.post("/api/v1/volunteers/", application(community, "13711112222"), "json"))

    # An approved-or-pending volunteer changing their number: only new numbers count.
    mover = UserFactory(roles=[RESIDENT])
    services.volunteer_apply(actor=mover, real_name="李三", phone="13711113333", community_id=community.pk)
    api = client_for(mover)
    for _ in range(4):
        assert api.patch("/api/v1/volunteers/me/", {"phone": "13711113333"}, format="json").status_code == 200
    for phone in ("13711112222", "13711113334", "13711113335"):
        assert api.patch("/api/v1/volunteers/me/", {"phone": phone}, format="json").status_code in (200, 400)
    assert_throttled(api.patch("/api/v1/volunteers/me/", {"phone": "13711112222"}, format="json"))

    # The page is counted the same way, and a visitor without an account by address.
    page = Client()
    page.force_login(UserFactory(roles=[RESIDENT]))
    for phone in ("13711112222", "13711114445", "13711114446"):
        assert page.post("/volunteers/apply/", {"real_name": "", "phone": phone}).status_code == 200
    assert_throttled(page.post("/volunteers/apply/", {"real_name": "", "phone": "13711112222"}))
    record("4 abuse: throttles", tried=1, passed=1)
