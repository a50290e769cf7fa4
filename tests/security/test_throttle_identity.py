"""Issue 21 items 1 and 2: throttles key on the real client address, and /admin/login/ shares the
failed-login counter with the site login and the token API."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.security.test_abuse import assert_throttled, low_rates, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

BAD = {"username": "admin", "password": "wrong"}


def test_a_new_forwarded_for_header_per_request_does_not_reset_the_login_allowance(world, low_rates):  # noqa: F811
    api = APIClient()
    for n in range(3):
        response = api.post("/api/v1/auth/token/", BAD, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert response.status_code == 400
    assert_throttled(api.post("/api/v1/auth/token/", BAD, format="json", HTTP_X_FORWARDED_FOR="203.0.113.99"))


def test_anonymous_reports_are_counted_per_socket_address_whatever_the_header(world, low_rates):  # noqa: F811
    from tests.security.test_abuse import report

    client = APIClient()
    for n in range(2):
        response = client.post(
            "/api/v1/hazards/", report(world["grid"]), format="multipart", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        assert response.status_code == 201
    assert_throttled(
        client.post("/api/v1/hazards/", report(world["grid"]), format="multipart", HTTP_X_FORWARDED_FOR="198.51.100.9")
    )


def test_num_proxies_zero_is_kept_and_n_takes_the_entry_our_proxy_appended(settings):
    from django.test import RequestFactory

    from govern.client_address import client_address

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_address(request) == "127.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_address(request) == "192.0.2.7"  # not the client's own claim 6.6.6.6


def test_num_proxies_zero_from_the_environment_stays_zero(monkeypatch):
    """`NUM_PROXIES=0` used to turn into None (DRF then trusted the header)."""
    import importlib

    import govern.settings as production

    monkeypatch.setenv("NUM_PROXIES", "0")
    try:
        assert importlib.reload(production).REST_FRAMEWORK["NUM_PROXIES"] == 0
        monkeypatch.delenv("NUM_PROXIES")
        assert importlib.reload(production).REST_FRAMEWORK["NUM_PROXIES"] == 0  # explicit default
    finally:
        importlib.reload(production)


def test_admin_login_is_throttled_and_shares_the_counter(world, low_rates):  # noqa: F811
    UserFactory(username="root", password="right-password", is_staff=True, is_superuser=True)
    admin = Client()
    for _ in range(3):
        assert admin.post("/admin/login/", {"username": "root", "password": "guess"}).status_code == 200
    # The right password is refused while the counter is full: no unlimited guessing.
    assert_throttled(admin.post("/admin/login/", {"username": "root", "password": "right-password"}))
    assert_throttled(Client().post("/accounts/login/", BAD))
    assert_throttled(APIClient().post("/api/v1/auth/token/", BAD, format="json"))


def test_admin_login_still_logs_in(world, low_rates):  # noqa: F811
    UserFactory(username="root", password="right-password", is_staff=True, is_superuser=True)
    response = Client().post("/admin/login/?next=/admin/", {"username": "root", "password": "right-password"})
    assert response.status_code == 302
