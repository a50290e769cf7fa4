"""Errors in the product's layout and language: 403, 404, 500 and an expired form (CSRF)."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from govern.error_pages import csrf_failure, server_error
from govern.roles import DISPATCHER, RESIDENT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_page_not_found_is_in_the_layout_in_both_languages(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and '<html lang="zh-hans">' in html
    assert "找不到这个页面" in html and 'id="site-menu"' in html and 'action="/track/"' in html
    _english(client)
    html = client.get("/no-such-page/").content.decode()
    assert '<html lang="en">' in html and "There is no such page" in html
    # The API keeps answering JSON.
    assert client.get("/api/v1/no-such-thing/").json()["code"] == "not_found"


def test_a_resident_in_the_back_office_reads_why_in_chinese(client):
    client.force_login(UserFactory(roles=[RESIDENT]))
    for path in ("/office/", "/office/dashboard/", "/volunteers/approvals/", "/premises/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 403, path
        assert "你的账号不能使用此页面" in html and 'id="site-menu"' in html, path
        assert "Forbidden" not in html, path
    assert "只有指挥调度人员可以进入后台" in client.get("/office/").content.decode()
    _english(client)
    assert "This page is not for your account" in client.get("/office/").content.decode()


def test_an_expired_form_says_so_in_the_layout(client):
    UserFactory(username="late", roles=[RESIDENT])
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "late", "password": "pw-govern-test"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "此表单已失效" in html and 'id="site-menu"' in html and "CSRF" not in html


def test_the_csrf_page_links_back_only_to_this_site():
    factory = RequestFactory()
    same = factory.post("/report/", HTTP_REFERER="http://testserver/report/")
    assert 'href="http://testserver/report/"' in csrf_failure(same).content.decode()
    foreign = factory.post("/report/", HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in csrf_failure(foreign).content.decode()


def test_server_error_page_in_the_layout_and_without_the_request(client, monkeypatch):
    request = RequestFactory().get("/")
    request.user = UserFactory(roles=[DISPATCHER])
    html = server_error(request).content.decode()
    assert "我们这边出了点问题" in html and 'id="site-menu"' in html

    # When drawing the layout with the request fails too (the database is what broke), the page
    # still comes, without the menu.
    from govern import navigation

    def broken(self):
        raise RuntimeError("database down")

    monkeypatch.setattr(navigation.Navigation, "sections", property(broken))
    response = server_error(request)
    assert response.status_code == 500 and "我们这边出了点问题" in response.content.decode()
    assert 'id="site-menu"' not in response.content.decode()


def test_a_server_error_under_the_api_is_json():
    response = server_error(RequestFactory().get("/api/v1/hazards/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "server_error"


def test_an_unhandled_error_in_an_api_view_answers_json(monkeypatch):
    """End to end through Django's handler500 (the test client does not re-raise)."""
    from hazards.reports import services

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "hazard_report", broken)
    response = Client(raise_request_exception=False).post(
        "/api/v1/hazards/", {"category": "x", "description": "d", "latitude": "30.9", "longitude": "120.8"}
    )
    assert response.status_code == 500 and response.json()["code"] == "server_error"


def test_a_deadlock_left_after_the_retries_is_a_503_to_send_again():
    """govern.db_retry gave up: nothing was written, so the client is told to send it again."""
    import psycopg
    from django.db import OperationalError

    from govern.api_errors import exception_handler

    try:
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except psycopg.Error as cause:
            raise OperationalError("deadlock detected") from cause
    except OperationalError as exc:
        response = exception_handler(exc, {})
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert response.data["code"] == "busy"
