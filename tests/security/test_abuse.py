"""Abuse: throttles (429 + Retry-After), CSRF on every form and session API write, security
headers (HSTS under production settings, in a subprocess), and media served as images only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.factories import UserFactory
from tests.hazards.images import jpeg_bytes, upload
from tests.security.summary import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, grid):
    from govern.roles import DISPATCHER, MERCHANT_STAFF
    from hazards.demo import seed_categories, seed_rules
    from tests.rewards.conftest import make_merchant

    seed_rules(seed_categories())
    staff = UserFactory(roles=[MERCHANT_STAFF])
    make_merchant(staff=[staff])
    return {"grid": grid, "dispatcher": UserFactory(roles=[DISPATCHER]), "staff": staff}


@pytest.fixture
def low_rates(settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    from govern.settings import REST_FRAMEWORK

    rates = {"login": "3/min", "anon_report": "2/hour", "code_lookup": "3/min", "open311_post": "2/min"}
    settings.REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # Plain DRF throttles bound THROTTLE_RATES when rest_framework.throttling was imported.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def report(grid) -> dict:
    return {
        "category": "gas-safety",
        "description": "throttle",
        "latitude": str(grid.min_latitude + 0.003),
        "longitude": str(grid.min_longitude + 0.003),
        "photos": [upload("t.jpg", jpeg_bytes(size=(80, 60)))],
    }


def assert_throttled(response):
    assert response.status_code == 429, (response.status_code, response.content[:200])
    assert int(response["Retry-After"]) > 0


def test_anonymous_reports_are_throttled(world, low_rates):
    client = APIClient()
    statuses = [
        client.post("/api/v1/hazards/", report(world["grid"]), format="multipart").status_code for _ in range(2)
    ]
    assert statuses == [201, 201]
    assert_throttled(client.post("/api/v1/hazards/", report(world["grid"]), format="multipart"))
    # A logged-in reporter is not counted against the anonymous allowance.
    assert (
        client_for(world["dispatcher"]).post("/api/v1/hazards/", report(world["grid"]), format="multipart").status_code
        == 201
    )
    record("4 abuse: throttles", tried=1, passed=1)


def test_failed_logins_are_throttled_on_the_api_and_the_page(world, low_rates):
    api = APIClient()
    for _ in range(3):
        assert api.post("/api/v1/auth/token/", {"username": "x", "password": "bad"}, format="json").status_code == 400
    assert_throttled(api.post("/api/v1/auth/token/", {"username": "x", "password": "bad"}, format="json"))
    assert_throttled(Client().post("/accounts/login/", {"username": "x", "password": "bad"}))  # same counter
    record("4 abuse: throttles", tried=1, passed=1)


def test_code_lookups_are_throttled(world, low_rates):
    api = APIClient()
    for _ in range(3):
        assert api.get("/api/v1/track/NOSUCHCODE/").status_code == 404
    assert_throttled(api.get("/api/v1/track/NOSUCHCODE/"))
    staff = client_for(world["staff"])
    for _ in range(3):
        assert staff.post("/api/v1/redemptions/use/", {"code": "GUESS"}, format="json").status_code == 404
    assert_throttled(staff.post("/api/v1/redemptions/use/", {"code": "GUESS"}, format="json"))
    record("4 abuse: throttles", tried=2, passed=2)


def test_open311_posts_are_throttled_per_api_key_not_per_address(world, low_rates):
    from govern.api_keys import api_client_issue

    _, first = api_client_issue(name="City 311 app")
    _, second = api_client_issue(name="Neighbourhood app")
    grid = world["grid"]

    def post(key, fmt="json"):
        return Client().post(
            f"/open311/v2/requests.{fmt}",
            {
                "api_key": key,
                "service_code": "fire-passage",
                "description": "throttle",
                "lat": str(grid.min_latitude + 0.003),
                "long": str(grid.min_longitude + 0.003),
            },
        )

    assert [post(first).status_code for _ in range(2)] == [201, 201]
    throttled = post(first)
    assert_throttled(throttled)
    assert throttled.json()[0]["code"] == 429 and "api_key" in throttled.json()[0]["description"]
    assert_throttled(post(first, fmt="xml"))
    assert post(second).status_code == 201  # another organisation from the same address is not affected
    record("4 abuse: throttles", tried=1, passed=1)


def _routes():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    for route in walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "^", "media/", "static/")) or "(?P" in route:
            continue
        # Any converter's argument by a sample of its kind, so the route resolves to its view.
        yield "/" + re.sub(r"<(\w+):\w+>", lambda m: {"int": "1", "str": "X"}.get(m.group(1), "x"), route)


def test_every_page_refuses_a_post_without_csrf_token(world):
    """Client(enforce_csrf_checks=True): a logged-in session posting to any page without the token
    is refused before any view runs (403), whatever the page does with POSTs."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["dispatcher"])
    pages = [r for r in _routes() if not r.startswith("/api/")]
    failures = [(path, client.post(path, {"x": "1"}).status_code) for path in pages]
    failures = [(path, status) for path, status in failures if status != 403]
    record("4 abuse: CSRF pages", tried=len(pages), passed=len(pages) - len(failures))
    assert len(pages) > 15
    assert not failures, failures


KEY_ONLY = {"/api/v1/alerts/"}  # API-key endpoints: sessions and tokens are not accepted there


def test_session_authenticated_api_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world["dispatcher"])
    writes = [r for r in _routes() if r.startswith("/api/v1/") and r != "/api/v1/auth/token/"]
    refused = 0
    for path in writes:
        response = client.post(path, {}, format="json")
        if path in KEY_ONLY and response.status_code == 401:
            refused += 1  # takes no session at all (an enterprise key only), so no CSRF to forge
            continue
        if response.status_code in (403, 405):  # CSRF refusal, or an endpoint without POST
            # DRF answers JSON naming CSRF; a non-DRF view gets Django's middleware 403 page.
            assert response.status_code == 405 or b"CSRF" in response.content or b"403" in response.content, path
            refused += 1
        elif response.status_code == 415 and "csrftoken" in client.cookies:
            # Once a page has set the CSRF cookie (as a browser would hold it), DRF reads the body
            # for the token before anything else; a body the endpoint does not parse (JSON to a
            # multipart-only endpoint) is refused there, before any write.
            refused += 1
    record("4 abuse: CSRF API", tried=len(writes), passed=refused)
    assert refused == len(writes)
    # With the token the same session write goes through to the view.
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/notices/",
        {"text": "演练", "level": "info", "topics": ["dispatch"]},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content[:200]


def test_page_security_headers(world):
    response = Client().get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    record("4 abuse: headers", tried=1, passed=1)


PRODUCTION_PROBE = """
import django, json
django.setup()
from django.test import Client
r = Client().get("/api/v1/schema/", secure=True, HTTP_HOST="govern.example.org")
plain = Client().get("/api/v1/schema/", HTTP_HOST="govern.example.org")
print(json.dumps({"hsts": r.get("Strict-Transport-Security"), "status": r.status_code,
                  "redirect": plain.status_code, "location": plain.get("Location")}))
"""


def test_production_settings_send_hsts_and_redirect_to_https(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govern.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "govern.example.org",
        "GOVERN_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert "max-age=31536000" in result["hsts"] and "includeSubDomains" in result["hsts"]
    assert result["redirect"] == 301 and result["location"].startswith("https://")
    record("4 abuse: headers", tried=1, passed=1)


def test_uploaded_photos_are_served_as_images_in_a_sandbox(world, settings):
    from pathlib import Path

    from django.urls import resolve

    # The media route binds its document root when the URLconf loads: write where it serves from.
    tmp_path = Path(resolve("/media/x.jpg").kwargs["document_root"])
    settings.MEDIA_ROOT = str(tmp_path)
    created = client_for(world["dispatcher"]).post("/api/v1/hazards/", report(world["grid"]), format="multipart")
    assert created.status_code == 201
    for url in (created.json()["photos"][0][key] for key in ("thumb", "medium", "image")):
        response = Client().get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    # Something that is not an image under MEDIA_ROOT (never written by the app) is a download.
    (tmp_path / "evil-security-test.html").write_text("<script>alert(1)</script>")
    response = Client().get("/media/evil-security-test.html")
    (tmp_path / "evil-security-test.html").unlink()
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert "sandbox" in response["Content-Security-Policy"]
    record("4 abuse: media", tried=4, passed=4)
