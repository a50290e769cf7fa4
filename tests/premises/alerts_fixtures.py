"""Fixtures of the sensor-alert tests (imported by each tests/premises/test_alerts*.py module, so
they do not collide with the premises tests' own conftest)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from govern.roles import RESIDENT
from hazards.demo import seed_categories, seed_rules
from hazards.premises.alerts.services import enterprise_key_issue
from hazards.premises.models import Premises, PremisesType
from tests.factories import UserFactory

__all__ = ["categories", "enterprise", "officer", "sensor_api", "sensor_key"]  # the fixtures (star-imported)

INSIDE = (30.905, 120.805)  # inside the `grid` fixture


@pytest.fixture
def categories(db):
    cats = seed_categories()
    seed_rules(cats)
    return cats


@pytest.fixture
def officer(db):
    return UserFactory(roles=[RESIDENT])


def make_premises(
    *, grid, code: str, type_slug: str = "enterprise", responsible_user=None, name: str | None = None
) -> Premises:
    return Premises.objects.create(
        code=code,
        name=name or f"工厂 {code}",
        type=PremisesType.objects.get(slug=type_slug),
        address="工业园区 1 号",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        grid=grid,
        responsible_name="安全员",
        responsible_user=responsible_user,
    )


@pytest.fixture
def enterprise(grid, officer, categories):
    return make_premises(grid=grid, code="ENT-TEST-1", responsible_user=officer, name="测试钢厂")


@pytest.fixture
def sensor_key(enterprise) -> str:
    return enterprise_key_issue(premises_id=enterprise.pk)[1]


def key_client(raw_key: str | None, *, header: str = "x") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # the tests read the English sentences
    if raw_key is not None:
        if header == "x":
            client.credentials(HTTP_X_API_KEY=raw_key)
        else:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def sensor_api(sensor_key) -> APIClient:
    return key_client(sensor_key)


def alert(client: APIClient, **fields):
    body = {"sensor_id": "BRG-07", "metric": "temperature", "value": 85, "threshold": 80}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not ...}
    return client.post("/api/v1/alerts/", body, format="json")
