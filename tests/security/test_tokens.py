"""Issue 21 item 17: API tokens expire (API_TOKEN_TTL), and logging out or changing the password
revokes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _token(username: str) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": "pw-govern-test"})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(key: str) -> int:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code


def test_a_token_expires_and_a_new_one_is_issued(settings):
    settings.API_TOKEN_TTL = dt.timedelta(hours=1)
    UserFactory(username="ann")
    key = _token("ann")
    assert _me(key) == 200
    Token.objects.filter(key=key).update(created=Token.objects.get(key=key).created - dt.timedelta(hours=2))
    assert _me(key) == 401
    fresh = _token("ann")
    assert fresh != key and _me(fresh) == 200


def test_logging_out_of_the_site_revokes_the_users_tokens():
    UserFactory(username="bob")
    key = _token("bob")
    site = Client()
    assert site.post("/accounts/login/", {"username": "bob", "password": "pw-govern-test"}).status_code == 302
    site.post("/accounts/logout/")
    assert _me(key) == 401


def test_a_password_change_revokes_the_users_tokens_and_last_login_does_not():
    user = UserFactory(username="cat")
    key = _token("cat")
    user.refresh_from_db()
    user.save(update_fields=["last_login"])
    assert _me(key) == 200
    user.set_password("a-new-Secret-9")
    user.save()
    assert _me(key) == 401
