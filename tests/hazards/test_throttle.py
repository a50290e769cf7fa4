"""Anonymous reports are throttled per client (scope anon_report), on the API and the form alike."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from hazards.models import Hazard
from tests.hazards.conftest import as_user, report_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_hour(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon_report": "2/hour"},
    }
    yield
    cache.clear()


def test_third_anonymous_report_is_429_with_retry_after(two_per_hour, anon_en, categories, grid):
    for _ in range(2):
        assert anon_en.post("/api/v1/hazards/", report_form(), format="multipart").status_code == 201
    third = anon_en.post("/api/v1/hazards/", report_form(), format="multipart")
    assert third.status_code == 429
    assert 0 < int(third["Retry-After"]) <= 3600
    assert third.json()["detail"]
    assert Hazard.objects.count() == 2
    # Another client address has its own allowance.
    assert (
        anon_en.post("/api/v1/hazards/", report_form(), format="multipart", REMOTE_ADDR="10.1.2.3").status_code == 201
    )


def test_the_form_shares_the_allowance(two_per_hour, anon_en, client, categories, grid):
    for _ in range(2):
        assert anon_en.post("/api/v1/hazards/", report_form(), format="multipart").status_code == 201
    page = client.post("/report/", report_form())
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert Hazard.objects.count() == 2


def test_logged_in_reporters_and_reads_are_not_throttled(two_per_hour, categories, grid, resident, anon_en):
    client = as_user(resident)
    for _ in range(3):
        assert client.post("/api/v1/hazards/", report_form(), format="multipart").status_code == 201
    for _ in range(3):
        assert anon_en.get("/api/v1/categories/").status_code == 200
