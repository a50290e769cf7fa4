"""Issue 18 item 2: the board's search by tracking code, address or description and its filters by
status, category, severity and grid — a GET form whose results the server draws (no JavaScript)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards.models import Hazard, Status
from tests.factories import make_grid
from tests.office.conftest import move, rectify

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(hazard_at):
    grid_a = make_grid(west=120.80, south=30.90)
    grid_b = make_grid(west=120.81, south=30.90)
    now = timezone.now()
    boxes = hazard_at(grid_a, now - timedelta(hours=1))
    Hazard.objects.filter(pk=boxes.pk).update(description="楼道里堆放纸箱，堵住了消防通道", address="芬湖路12号")
    gas = rectify(
        hazard_at(grid_b, now - timedelta(hours=2), severity="critical", category="gas-safety"),
        "2026-01-01 00:00",
        "2026-01-01 01:00",
    )
    Hazard.objects.filter(pk=gas.pk).update(description="燃气管道漏气", address="北厍镇5号")
    old = move(hazard_at(grid_a, now - timedelta(hours=3)), [(Status.REJECTED, "2026-01-01 00:00")])
    Hazard.objects.filter(pk=old.pk).update(description="门口有几个纸箱", address="")
    return {"boxes": boxes, "gas": gas, "old": old, "a": grid_a, "b": grid_b}


def _found(client, query: str) -> list[int]:
    response = client.get(f"/office/?{query}")
    assert response.status_code == 200, response.content.decode()[:500]
    return [h.pk for h in response.context["search"].hazards]


def test_search_by_code_address_or_description_and_filters(client, dispatcher, found):
    client.force_login(dispatcher)
    boxes, gas, old = found["boxes"], found["gas"], found["old"]
    assert _found(client, f"q={boxes.tracking_code.lower()}") == [boxes.pk]  # a code in any case, exactly
    assert _found(client, "q=纸箱") == [boxes.pk, old.pk]  # any status, newest first
    assert _found(client, "q=芬湖路") == [boxes.pk]
    assert _found(client, "status=rectified") == [gas.pk]
    assert _found(client, "category=gas-safety") == [gas.pk]
    assert _found(client, "severity=critical") == [gas.pk]
    assert _found(client, f"grid={found['a'].pk}") == [boxes.pk, old.pk]
    assert _found(client, "q=纸箱&status=rejected") == [old.pk]
    assert _found(client, "q=没有这种隐患") == []
    assert _found(client, "") == []  # no search: no results section
    assert client.get("/office/").context["search"].active is False


def test_results_are_drawn_by_the_server_in_chinese_with_the_form_filled(client, dispatcher, found):
    client.force_login(dispatcher)
    html = client.get(f"/office/?q=纸箱&grid={found['a'].pk}&severity=medium").content.decode()
    results = html[html.index('id="search-results"') :]
    results = results[: results.index("</ul>")]
    assert f'href="/office/hazards/{found["boxes"].pk}/"' in results and found["boxes"].tracking_code in results
    assert f'href="/office/hazards/{found["old"].pk}/"' in results and found["gas"].tracking_code not in results
    assert "找到 2 条隐患" in html and "查找隐患" in html and "清除查找条件" in html
    assert 'value="纸箱"' in html
    assert f'<option value="{found["a"].pk}" selected>' in html and '<option value="medium" selected>' in html
    assert "没有符合条件的隐患" in client.get("/office/?q=没有这种隐患").content.decode()


def test_bad_parameters_are_a_400_naming_the_field(client, dispatcher, found):
    client.force_login(dispatcher)
    response = client.get("/office/?status=burning")
    html = response.content.decode()
    assert response.status_code == 400 and 'id="search-errors"' in html and "status:" in html
    assert 'id="board"' in html  # the board is still there
    response = client.get("/office/?grid=abc")
    assert response.status_code == 400 and "grid:" in response.content.decode()
    response = client.get("/office/?q=" + "x" * 101)
    assert response.status_code == 400 and "q: 查找内容最多 100 个字符。" in response.content.decode()


def test_search_queries_do_not_grow(client, dispatcher, found, hazard_at, django_assert_max_num_queries):
    client.force_login(dispatcher)
    url = "/office/?q=纸箱&status=submitted,rejected"
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    for i in range(30):
        grid = make_grid(west=120.83, south=30.91 + i * 0.002, size=0.002)
        hazard = hazard_at(grid, timezone.now() - timedelta(minutes=i))
        Hazard.objects.filter(pk=hazard.pk).update(description=f"第{i}个纸箱")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["search"].total == 32 and len(response.context["search"].hazards) == 32
