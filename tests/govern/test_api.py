import pytest

from govern.roles import DISPATCHER, GRID_WORKER, RESIDENT
from tests.conftest import client_for
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.django_db


def test_grid_list_shape_and_constant_queries(api, django_assert_max_num_queries):
    for i in range(6):
        make_grid(west=120.80 + i * 0.01, south=30.90)
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/grids/?page_size=100")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6 and body["previous"] is None
    first = body["results"][0]
    assert set(first) >= {"id", "name", "community", "center", "boundary"}
    assert first["boundary"]["type"] == "Polygon"
    assert first["center"] == {"latitude": pytest.approx(30.905), "longitude": pytest.approx(120.805)}


def test_locate_inside_outside_and_bad_input(api):
    grid = make_grid(west=120.80, south=30.90)
    ok = api.get("/api/v1/grids/locate/", {"latitude": 30.905, "longitude": 120.805})
    assert ok.status_code == 200 and ok.json()["id"] == grid.id
    outside = api.get("/api/v1/grids/locate/", {"latitude": 31.5, "longitude": 121.0})
    assert (
        outside.status_code == 404
        and "outside the service area" in outside.json()["detail"].lower()
        or "服务范围" in outside.json()["detail"]
    )
    for params, field in [
        ({"longitude": 120.8}, "latitude"),
        ({"latitude": "abc", "longitude": 1}, "latitude"),
        ({"latitude": 30, "longitude": 181}, "longitude"),
        ({"latitude": "nan", "longitude": 1}, "latitude"),
    ]:
        bad = api.get("/api/v1/grids/locate/", params)
        assert bad.status_code == 400, params
        assert field in bad.json()["errors"]


def test_token_and_me(api):
    user = UserFactory(username="alice", roles=[RESIDENT, DISPATCHER])
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-govern-test"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()
    assert me["id"] == user.id and me["username"] == "alice"
    assert me["roles"] == ["dispatcher", "resident"]


def test_token_bad_password_is_400_with_sentence(api):
    UserFactory(username="bob")
    response = api.post("/api/v1/auth/token/", {"username": "bob", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_me_requires_auth(api):
    assert api.get("/api/v1/me/").status_code == 401


def test_me_lists_owned_grids_for_grid_workers():
    grid = make_grid()
    worker = UserFactory(roles=[GRID_WORKER])
    grid.workers.add(worker)
    assert client_for(worker).get("/api/v1/me/").json()["grids"] == [grid.id]


def test_schema_is_served(api):
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/grids/", "/api/v1/grids/locate/", "/api/v1/auth/token/", "/api/v1/me/"):
        assert path in paths


def test_only_failed_logins_are_throttled(api, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "3/min"}}
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        UserFactory(username="dora")
        for _ in range(5):  # successes never count
            assert (
                api.post(
                    "/api/v1/auth/token/", {"username": "dora", "password": "pw-govern-test"}, format="json"
                ).status_code
                == 200
            )
        for _ in range(3):
            assert (
                api.post("/api/v1/auth/token/", {"username": "dora", "password": "nope"}, format="json").status_code
                == 400
            )
        blocked = api.post("/api/v1/auth/token/", {"username": "dora", "password": "pw-govern-test"}, format="json")
        assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
        page = api.post("/accounts/login/", {"username": "dora", "password": "pw-govern-test"})
        assert page.status_code == 429
    finally:
        cache.clear()
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        api_settings.reload()
