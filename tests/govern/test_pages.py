import pytest

from govern.models import User

pytestmark = pytest.mark.django_db


def test_home_offers_everyone_what_needs_no_account_in_chinese(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for href in ('href="/report/"', 'href="/track/"', 'href="/hazards/map/"', 'href="/accounts/login/"'):
        assert href in html
    for href in ('href="/tasks/"', 'href="/office/"'):  # work that needs an account and a role
        assert href not in html
    assert "上报隐患" in html


def test_home_in_english_after_switching(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Report a hazard" in html


def test_signup_validates_mainland_mobile_and_logs_in(client):
    bad = client.post(
        "/accounts/signup/",
        {"username": "newbie", "phone": "12345", "password1": "S3cure-pass-xyz", "password2": "S3cure-pass-xyz"},
    )
    assert bad.status_code == 200 and not User.objects.filter(username="newbie").exists()
    ok = client.post(
        "/accounts/signup/",
        {"username": "newbie", "phone": "13812345678", "password1": "S3cure-pass-xyz", "password2": "S3cure-pass-xyz"},
    )
    assert ok.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.phone == "13812345678"
    assert list(user.groups.values_list("name", flat=True)) == ["resident"]
    assert client.get("/api/v1/me/").json()["username"] == "newbie"


def test_login_and_logout_pages(client):
    User.objects.create_user("carol", password="pw-govern-test")
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "carol", "password": "pw-govern-test"})
    assert response.status_code == 302
    assert client.post("/accounts/logout/").status_code == 302


def test_security_headers_on_pages(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
