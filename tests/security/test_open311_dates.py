"""Issue 21 item 12 (Open311 part): dates out of range are a 400 naming the parameter, not a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.open311.conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params",
    [
        {"end_date": "0001-01-01T00:00:00Z"},
        {"end_date": "0001-01-01T00:00:00+08:00"},
        {"start_date": "0001-01-01T00:00:00+08:00"},
        {"start_date": "0001-01-01T00:00:00Z", "end_date": "0001-01-02T00:00:00Z"},
        {"end_date": "9999-12-31T23:59:59-12:00"},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_dates_out_of_range_are_a_400(params, fmt):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(BASE + f"requests.{fmt}", params)
    assert response.status_code == 400, response.content
    assert next(iter(params)).encode() in response.content


def test_ordinary_dates_still_work():
    response = Client().get(BASE + "requests.json", {"start_date": "2026-01-01T00:00:00+08:00"})
    assert response.status_code == 200, response.content
