"""CSV exports: streamed, UTF-8 with BOM, filters as query parameters, formula-safe, dispatchers only."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from govern.office.exports import BOM, cell
from rewards.ledger import points_adjust
from tests.factories import UserFactory, make_grid
from tests.office.conftest import rectify, service, volunteer_in

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :])))


def test_cell_neutralises_formulas_and_formats_values():
    assert cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert cell("-1+2") == "'-1+2" and cell("@SUM(A1)") == "'@SUM(A1)"
    assert cell(-5) == "-5" and cell(None) == "" and cell("楼道") == "楼道"


def test_hazards_csv_honours_filters(client, dispatcher, hazard_at):
    grid_a, grid_b = make_grid(west=120.80, south=30.90), make_grid(west=120.81, south=30.90)
    first = hazard_at(grid_a, "2026-03-02 10:00", severity="critical")
    first.description = "=cmd|' /C calc'!A0 楼道堵塞"
    first.save()
    rectify(hazard_at(grid_b, "2026-03-05 10:00"), "2026-03-05 11:00", "2026-03-05 12:00")
    hazard_at(grid_b, "2026-04-01 10:00", category="gas-safety")
    client.force_login(dispatcher)

    rows = _rows(client.get("/office/export/hazards.csv?lang=en"))  # the machines' header row
    header, data = rows[0], rows[1:]
    assert header[:4] == ["tracking_code", "reported_at", "status", "severity"]
    chinese = _rows(client.get("/office/export/hazards.csv"))  # the page's language: Chinese
    assert chinese[0][:4] == ["查询码", "上报时间", "状态", "严重程度"] and chinese[1:] == data
    assert len(data) == 3
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    line = by_code[first.tracking_code]
    assert line["description"] == "'=cmd|' /C calc'!A0 楼道堵塞"
    assert line["reported_at"] == "2026-03-02 10:00:00" and line["category_name"] == "消防通道堵塞"
    assert line["grid"] == grid_a.name and line["severity"] == "critical"

    assert len(_rows(client.get(f"/office/export/hazards.csv?grid={grid_b.pk}"))) == 3
    assert len(_rows(client.get("/office/export/hazards.csv?status=rectified"))) == 2
    assert len(_rows(client.get("/office/export/hazards.csv?category=gas-safety"))) == 2
    window = "created_after=2026-03-01T00:00:00%2B08:00&created_before=2026-03-31T00:00:00%2B08:00&severity=critical"
    assert [r[0] for r in _rows(client.get(f"/office/export/hazards.csv?{window}"))[1:]] == [first.tracking_code]


def test_bad_filters_are_a_400_naming_the_field(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get("/office/export/hazards.csv?status=burning")
    assert response.status_code == 400 and "status" in response.content.decode()
    assert client.get("/office/export/hours.csv?served_after=yesterday").status_code == 400
    response = client.get("/office/export/ledger.csv?kind=gift")
    assert response.status_code == 400 and response.content.decode().startswith("kind:")


def test_hours_csv(client, dispatcher, grid):
    one = volunteer_in(grid.community, UserFactory())
    other = volunteer_in(make_grid(west=120.85, south=30.93).community, UserFactory())
    service(one, "2026-03-03", 90)
    service(one, "2026-03-20", 30)
    service(other, "2026-03-04", 45, status="pending")
    client.force_login(dispatcher)
    rows = _rows(client.get("/office/export/hours.csv?lang=en"))
    header = rows[0]
    assert len(rows) == 4
    in_march = _rows(
        client.get(
            f"/office/export/hours.csv?served_after=2026-03-01&served_before=2026-03-10&community={grid.community_id}"
        )
    )
    assert len(in_march) == 2
    line = dict(zip(header, in_march[1], strict=True))
    assert (line["minutes"], line["hours"], line["real_name"], line["status"]) == (
        "90",
        "1.5",
        one.real_name,
        "approved",
    )
    assert len(_rows(client.get("/office/export/hours.csv?status=pending"))) == 2


def test_ledger_csv(client, dispatcher):
    alice, bob = UserFactory(), UserFactory()
    points_adjust(user_id=alice.pk, amount=30, reason="志愿服务", actor=None)
    points_adjust(user_id=bob.pk, amount=5, reason="+bonus", actor=None)
    client.force_login(dispatcher)
    rows = _rows(client.get("/office/export/ledger.csv?lang=en"))
    assert len(rows) == 3
    mine = _rows(client.get(f"/office/export/ledger.csv?user={alice.pk}&lang=en"))
    line = dict(zip(mine[0], mine[1], strict=True))
    assert (line["amount"], line["kind"], line["reason"], line["balance_after"]) == ("30", "adjust", "志愿服务", "30")
    assert dict(zip(rows[0], rows[2], strict=True))["reason"] == "'+bonus"


def test_export_queries_are_chunked_not_per_row(client, dispatcher, hazard_at, django_assert_max_num_queries):
    grid = make_grid()
    client.force_login(dispatcher)
    for i in range(30):
        hazard_at(grid, f"2026-03-{1 + i % 28:02d} 10:00")
    with django_assert_max_num_queries(6):
        assert len(_rows(client.get("/office/export/hazards.csv"))) == 31


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_export_streams_asynchronously(async_client, hazard_at):
    """Django's ASGI handler buffers sync iterators whole; the export hands it an async one."""
    from asgiref.sync import sync_to_async

    from govern.roles import DISPATCHER

    def setup():
        grid = make_grid()
        for i in range(5):
            hazard_at(grid, f"2026-03-0{i + 1} 10:00")
        return UserFactory(roles=[DISPATCHER])

    user = await sync_to_async(setup)()
    await async_client.aforce_login(user)
    response = await async_client.get("/office/export/hazards.csv")
    assert response.status_code == 200 and response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content]).decode("utf-8")
    assert body.startswith(BOM) and len(body.strip().splitlines()) == 6


def test_tasks_csv_honours_filters(client, dispatcher, hazard_at):
    from tests.office.conftest import task_at

    grid_a, grid_b = make_grid(west=120.80, south=30.90), make_grid(west=120.81, south=30.90)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    late = task_at(
        hazard_at(grid_a, "2026-03-02 09:00"),
        alice,
        "2026-03-02 10:00",
        accepted="2026-03-02 10:30",
        due="2026-03-02 12:00",
        status="in_progress",
        overdue=True,
    )
    done = task_at(
        hazard_at(grid_b, "2026-03-05 09:00"),
        bob,
        "2026-03-05 10:00",
        accepted="2026-03-05 10:06",
        due="2026-03-05 12:00",
        completed="2026-03-05 13:00",
    )
    done.reason = '=HYPERLINK("x")'
    done.save()
    offer = task_at(hazard_at(grid_b, "2026-04-01 09:00"), alice, "2026-04-01 10:00", due="2026-04-01 12:00")
    client.force_login(dispatcher)

    rows = _rows(client.get("/office/export/tasks.csv?lang=en"))
    header, data = rows[0], rows[1:]
    assert [r[0] for r in data] == [str(offer.pk), str(done.pk), str(late.pk)]  # newest offer first
    lines = {int(r[0]): dict(zip(header, r, strict=True)) for r in data}
    assert lines[late.pk]["assignee"] == "alice" and lines[late.pk]["grid"] == grid_a.name
    assert (lines[late.pk]["accept_minutes"], lines[late.pk]["overdue"], lines[late.pk]["late"]) == ("30.0", "1", "1")
    assert lines[late.pk]["offered_at"] == "2026-03-02 10:00:00" and lines[late.pk]["status"] == "in_progress"
    # Completed after its due time: not flagged, but late.
    assert (lines[done.pk]["overdue"], lines[done.pk]["late"], lines[done.pk]["accept_minutes"]) == ("0", "1", "6.0")
    assert lines[done.pk]["reason"] == '\'=HYPERLINK("x")'
    assert (lines[offer.pk]["accepted_at"], lines[offer.pk]["accept_minutes"], lines[offer.pk]["late"]) == ("", "", "0")

    def ids(query):
        return [int(r[0]) for r in _rows(client.get(f"/office/export/tasks.csv?{query}"))[1:]]

    assert ids("overdue=true") == [late.pk]
    assert ids(f"grid={grid_b.pk}") == [offer.pk, done.pk]
    assert ids(f"assignee={alice.pk}&status=offered,in_progress") == [offer.pk, late.pk]
    assert ids("status=done") == [done.pk]
    assert ids("offered_after=2026-03-01T00:00:00%2B08:00&offered_before=2026-03-31T00:00:00%2B08:00") == [
        done.pk,
        late.pk,
    ]
    assert ids(f"community={grid_a.community_id}") == [late.pk]
    for bad, field in [
        ("status=burning", "status"),
        ("grid=x", "grid"),
        ("offered_after=soon", "offered_after"),
        ("overdue=maybe", "overdue"),
    ]:
        response = client.get(f"/office/export/tasks.csv?{bad}")
        assert response.status_code == 400 and response.content.decode().startswith(f"{field}:"), bad


def test_tasks_csv_queries_do_not_grow(client, dispatcher, hazard_at, django_assert_max_num_queries):
    from tests.office.conftest import task_at

    grid = make_grid()
    client.force_login(dispatcher)
    task_at(hazard_at(grid, "2026-03-01 09:00"), UserFactory(), "2026-03-01 10:00", due="2026-03-01 12:00")
    with django_assert_max_num_queries(6) as small:
        assert len(_rows(client.get("/office/export/tasks.csv"))) == 2
    for i in range(30):
        task_at(
            hazard_at(grid, f"2026-03-{1 + i % 28:02d} 09:00"),
            UserFactory(),
            f"2026-03-{1 + i % 28:02d} 10:00",
            accepted=f"2026-03-{1 + i % 28:02d} 10:05",
            due=f"2026-03-{1 + i % 28:02d} 12:00",
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(_rows(client.get("/office/export/tasks.csv"))) == 32
