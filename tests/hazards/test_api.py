"""The hazards REST API: reporting, visibility, filters, GeoJSON, tracking, categories."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, user_topic
from govern.models import LiveEvent
from govern.roles import GRID_WORKER
from hazards.models import Hazard, Status
from hazards.reports.tracking import TRACKING_ALPHABET
from tests.factories import UserFactory
from tests.hazards.conftest import INSIDE, as_user, report_form, walk

pytestmark = pytest.mark.django_db


def test_report_anonymously_returns_the_contract_fields(anon_en, categories, grid):
    response = anon_en.post("/api/v1/hazards/", report_form(), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "tracking_code", "status", "grid", "duplicates"}
    assert body["status"] == "submitted" and body["grid"] == grid.id and body["duplicates"] == []
    code = body["tracking_code"]
    assert len(code) == 10 and set(code) <= set(TRACKING_ALPHABET)
    assert not set(code) & set("01OIL")
    hazard = Hazard.objects.get(pk=body["id"])
    assert hazard.reporter is None and hazard.community_id == grid.community_id
    assert hazard.events.get().to_status == "submitted"


def test_report_by_a_logged_in_resident_is_linked_and_published(categories, grid, resident):
    response = as_user(resident).post("/api/v1/hazards/", report_form(), format="multipart")
    assert response.status_code == 201
    hazard = Hazard.objects.get(pk=response.json()["id"])
    assert hazard.reporter == resident and hazard.source == "api"
    event = LiveEvent.objects.get(type="hazard.created")
    assert set(event.topics) == {DISPATCH_TOPIC, grid_topic(grid.id), user_topic(resident.id)}
    assert event.data["tracking_code"] == hazard.tracking_code and event.data["grid"] == grid.id
    # The photo is re-encoded after the commit (eagerly here): the thumbnail comes with photos_ready.
    assert event.data["thumb"] is None and event.data["photo_count"] == 1 and event.data["photos_pending"] == 1
    ready = LiveEvent.objects.get(type="hazard.photos_ready")
    assert set(ready.topics) == {
        DISPATCH_TOPIC,
        grid_topic(grid.id),
        user_topic(resident.id),
        hazard_topic(hazard.tracking_code),
    }
    assert ready.data["thumb"].endswith("-t.jpg") and ready.data["photos"][0]["status"] == "ready"


def test_anonymous_report_event_reaches_dispatch_and_grid_only(anon_en, categories, grid):
    anon_en.post("/api/v1/hazards/", report_form(), format="multipart")
    assert set(LiveEvent.objects.get(type="hazard.created").topics) == {DISPATCH_TOPIC, grid_topic(grid.id)}


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"latitude": "31.5", "longitude": "121.0"}, "location", "outside the service area"),
        ({"category": "nope"}, "category", "category"),
        ({"description": "   "}, "description", "Describe"),
        ({"description": "x" * 2001}, "description", "2000"),
        ({"latitude": "abc"}, "latitude", "number"),
        ({"latitude": "95"}, "latitude", "90"),
        ({"contact_phone": "call me maybe"}, "contact_phone", "phone"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_store_nothing(anon_en, categories, grid, overrides, field, text):
    response = anon_en.post("/api/v1/hazards/", report_form(**overrides), format="multipart")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"]
    assert text in body["detail"]
    assert Hazard.objects.count() == 0


def test_outside_the_service_area_in_chinese_by_default(api, categories, grid):
    response = api.post("/api/v1/hazards/", report_form(latitude="31.5", longitude="121.0"), format="multipart")
    assert response.status_code == 400
    assert "服务范围" in response.json()["detail"]


# --- visibility ------------------------------------------------------------------------------------


@pytest.fixture
def three_reports(make_hazard, other_grid, resident):
    own = make_hazard(reporter=resident)
    someone_else = make_hazard()
    elsewhere = make_hazard(latitude=30.905, longitude=120.815)  # in other_grid
    assert elsewhere.grid_id == other_grid.id
    return own, someone_else, elsewhere


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_is_scoped_by_role(three_reports, resident, dispatcher, grid_worker, anon_en):
    own, someone_else, elsewhere = three_reports
    assert _ids(as_user(dispatcher).get("/api/v1/hazards/")) == {own.id, someone_else.id, elsewhere.id}
    assert _ids(as_user(grid_worker).get("/api/v1/hazards/")) == {own.id, someone_else.id}
    assert _ids(as_user(resident).get("/api/v1/hazards/")) == {own.id}
    assert _ids(as_user(UserFactory()).get("/api/v1/hazards/")) == set()
    assert anon_en.get("/api/v1/hazards/").status_code == 401


def test_detail_is_scoped_by_role(three_reports, resident, dispatcher, grid_worker, anon_en):
    own, someone_else, elsewhere = three_reports
    assert as_user(resident).get(f"/api/v1/hazards/{own.id}/").status_code == 200
    assert as_user(resident).get(f"/api/v1/hazards/{someone_else.id}/").status_code == 404
    assert as_user(grid_worker).get(f"/api/v1/hazards/{someone_else.id}/").status_code == 200
    assert as_user(grid_worker).get(f"/api/v1/hazards/{elsewhere.id}/").status_code == 404
    assert as_user(dispatcher).get(f"/api/v1/hazards/{elsewhere.id}/").status_code == 200
    assert anon_en.get(f"/api/v1/hazards/{own.id}/").status_code == 401
    detail = as_user(dispatcher).get(f"/api/v1/hazards/{own.id}/").json()
    assert detail["reporter"]["id"] == resident.id and detail["contact_phone"] == ""
    assert [e["to_status"] for e in detail["events"]] == ["submitted"]


def test_grid_worker_of_two_grids_sees_both(three_reports, other_grid, grid_worker):
    other_grid.workers.add(grid_worker)
    assert len(_ids(as_user(grid_worker).get("/api/v1/hazards/"))) == 3


def test_a_grid_worker_without_the_role_sees_nothing_of_the_grid(three_reports, grid):
    member = UserFactory()
    grid.workers.add(member)  # listed on the grid, but not a grid worker (role removed)
    assert _ids(as_user(member).get("/api/v1/hazards/")) == set()
    assert GRID_WORKER  # the role is what counts


# --- tracking ---------------------------------------------------------------------------------------


def test_track_is_public_without_identity_contact_or_exact_location(anon_en, categories, grid, resident):
    created = (
        as_user(resident)
        .post(
            "/api/v1/hazards/",
            report_form(latitude="30.90537", longitude="120.80462", description="我是302的张三"),
            format="multipart",
        )
        .json()
    )
    response = anon_en.get(f"/api/v1/track/{created['tracking_code']}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted" and body["category"]["slug"] == "electrical-wiring"
    assert body["location"] == {"latitude": 30.905, "longitude": 120.805}
    assert [t["to_status"] for t in body["timeline"]] == ["submitted"]
    assert body["photos"][0]["medium"].endswith("-m.jpg")
    text = response.content.decode()
    for secret in ("13812345678", resident.username, "张三", "30.90537", "120.80462", "reporter", "contact"):
        assert secret not in text
    lower = anon_en.get(f"/api/v1/track/{created['tracking_code'].lower()}/")
    assert lower.status_code == 200


@pytest.mark.parametrize("code", ["AAAAAAAAAA", "abc", "O0O0O0O0O0", "x" * 40])
def test_track_unknown_codes_are_404(anon_en, code):
    assert anon_en.get(f"/api/v1/track/{code}/").status_code == 404


def test_track_of_a_duplicate_shows_the_original(make_hazard, dispatcher, anon_en):
    from hazards.triage.services import hazard_triage

    original = make_hazard()
    duplicate = make_hazard()
    hazard_triage(hazard_id=duplicate.pk, actor=dispatcher, decision="duplicate", duplicate_of=original.tracking_code)
    body = anon_en.get(f"/api/v1/track/{duplicate.tracking_code}/").json()
    assert body["status"] == "duplicate"
    assert body["duplicate_of"]["tracking_code"] == original.tracking_code
    assert body["duplicate_of"]["status"] == "submitted"


# --- categories ---------------------------------------------------------------------------------------


def test_categories_are_public_with_both_names(anon_en, categories):
    response = anon_en.get("/api/v1/categories/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 9
    gas = next(r for r in rows if r["slug"] == "gas-safety")
    assert gas["name"] == "燃气安全" and gas["name_en"] == "Gas safety"
    assert gas["default_severity"] == "high" and gas["sla_accept_minutes"] > 0
    assert {r["name"] for r in rows} >= {
        "电气线路",
        "油烟污染",
        "消防通道堵塞",
        "消防设施",
        "危化品",
        "交通安全",
        "房屋结构",
        "其他",
    }


# --- filters -------------------------------------------------------------------------------------------


@pytest.fixture
def spread(make_hazard, other_grid, dispatcher):
    a = make_hazard(category="gas-safety")  # 30.905, 120.805
    b = make_hazard(category="electrical-wiring", latitude=30.9051, longitude=120.8051)  # ~14 m from a
    c = make_hazard(category="other", latitude=30.905, longitude=120.815)  # other grid, ~950 m east
    walk(b, Status.TRIAGED, actor=dispatcher)
    Hazard.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(days=10))
    return a, b, c


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", "ac"),
        ("status=triaged,submitted", "abc"),
        ("open=false", ""),
        ("open=true", "abc"),
        ("open=0", ""),
        ("category=gas-safety", "a"),
        ("category=gas-safety,other", "ac"),
        ("severity=low", "c"),
        ("severity=high", "ab"),
        ("bbox=120.80,30.90,120.81,30.91", "ab"),
        ("near=30.905,120.815&radius_m=100", "c"),
        ("near=30.905,120.805&radius_m=10", "a"),
        ("near=30.905,120.805&radius_m=20", "ab"),
        ("near=30.905,120.805&radius_m=2000", "abc"),
        ("created_after={week_ago}", "ab"),
        ("created_before={week_ago}", "c"),
    ],
)
def test_filters(spread, dispatcher, query, expected):
    a, b, c = spread
    names = {a.id: "a", b.id: "b", c.id: "c"}
    week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
    response = as_user(dispatcher).get("/api/v1/hazards/?" + query.format(week_ago=week_ago))
    assert "".join(sorted(names[i] for i in _ids(response))) == expected


def test_grid_and_community_filters(spread, dispatcher, grid, other_grid):
    a, b, c = spread
    client = as_user(dispatcher)
    assert _ids(client.get(f"/api/v1/hazards/?grid={other_grid.id}")) == {c.id}
    assert _ids(client.get(f"/api/v1/hazards/?community={grid.community_id}")) == {a.id, b.id}
    assert _ids(client.get(f"/api/v1/hazards/?grid={grid.id},{other_grid.id}")) == {a.id, b.id, c.id}


def test_near_orders_nearest_first_with_distance(spread, dispatcher):
    a, b, c = spread
    rows = as_user(dispatcher).get("/api/v1/hazards/?near=30.9051,120.8051&radius_m=5000").json()["results"]
    assert [r["id"] for r in rows] == [b.id, a.id, c.id]
    assert rows[0]["distance_m"] < 1 and 10 < rows[1]["distance_m"] < 20


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("severity=extreme", "severity"),
        ("grid=abc", "grid"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=120.9,30.9,120.8,30.95", "bbox"),
        ("near=30.9", "near"),
        ("near=30.9,120.8&radius_m=-5", "radius_m"),
        ("near=30.9,120.8&radius_m=999999", "radius_m"),
        ("radius_m=50", "radius_m"),
        ("open=maybe", "open"),
        ("created_after=yesterday", "created_after"),
        ("created_after=2026-11-02&created_before=2026-11-01", "created_before"),
    ],
)
def test_bad_filters_are_400_naming_the_field(dispatcher, query, field):
    for path in ("/api/v1/hazards/?", "/api/v1/hazards.geojson?"):
        response = as_user(dispatcher).get(path + query)
        assert response.status_code == 400, (path, query, response.content)
        assert field in response.json()["errors"], response.json()


def test_list_runs_constant_queries(make_hazard, dispatcher, grid_worker, resident, django_assert_max_num_queries):
    for i in range(3):
        make_hazard(reporter=resident, photos=None, seed=i)
    counts = {}
    for size in (3, 15):
        while Hazard.objects.count() < size:
            make_hazard(reporter=resident)
        for user in (dispatcher, grid_worker, resident):
            client = as_user(user)
            with django_assert_max_num_queries(8) as ctx:
                response = client.get("/api/v1/hazards/?page_size=50")
            assert response.json()["count"] == size
            counts[(size, user.pk)] = len(ctx.captured_queries)
    for user in (dispatcher, grid_worker, resident):
        assert counts[(3, user.pk)] == counts[(15, user.pk)]


# --- GeoJSON -------------------------------------------------------------------------------------------


def test_geojson_is_filtered_and_scoped(
    spread, dispatcher, resident, make_hazard, anon_en, django_assert_max_num_queries
):
    a, b, c = spread
    own = make_hazard(reporter=resident)
    client = as_user(dispatcher)
    with django_assert_max_num_queries(3):  # token+user, roles, features
        response = client.get("/api/v1/hazards.geojson?bbox=120.80,30.90,120.81,30.91")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    assert {f["id"] for f in body["features"]} == {a.id, b.id, own.id}
    feature = next(f for f in body["features"] if f["id"] == a.id)
    assert feature["geometry"] == {"type": "Point", "coordinates": [120.805, 30.905]}
    assert feature["properties"]["category"] == "gas-safety"
    mine = as_user(resident).get("/api/v1/hazards.geojson").json()
    assert [f["id"] for f in mine["features"]] == [own.id]
    assert anon_en.get("/api/v1/hazards.geojson").status_code == 401


def test_schema_documents_the_hazard_endpoints(api):
    paths = api.get("/api/v1/schema/?format=json").json()["paths"]
    for path in (
        "/api/v1/hazards/",
        "/api/v1/hazards/{id}/",
        "/api/v1/hazards/{id}/triage/",
        "/api/v1/hazards/{id}/reopen/",
        "/api/v1/hazards/{id}/close/",
        "/api/v1/hazards.geojson",
        "/api/v1/track/{tracking_code}/",
        "/api/v1/categories/",
    ):
        assert path in paths, path
    post = paths["/api/v1/hazards/"]["post"]
    assert {"201", "400", "429"} <= set(post["responses"])
    assert "409" in paths["/api/v1/hazards/{id}/triage/"]["post"]["responses"]
    assert INSIDE


def test_track_and_detail_run_constant_queries(make_hazard, dispatcher, anon_en, django_assert_max_num_queries):
    from tests.hazards.images import jpeg_bytes, upload

    small = make_hazard()
    big = make_hazard(
        photos=[upload(f"{i}.jpg", jpeg_bytes(size=(64, 48), seed=50 + i)) for i in range(6)],
        description="漏气 冒烟 私拉电线",
    )
    walk(big, Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, actor=dispatcher)
    client = as_user(dispatcher)
    counts = []
    for hazard in (small, big):
        with django_assert_max_num_queries(4) as ctx:
            assert anon_en.get(f"/api/v1/track/{hazard.tracking_code}/").status_code == 200
        counts.append(len(ctx.captured_queries))
        with django_assert_max_num_queries(8) as ctx:
            assert client.get(f"/api/v1/hazards/{hazard.id}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:]
