"""Issue 18 item 6: the residents' answers on the dashboard — average satisfaction, share confirmed
fixed, reopen-request rate — per district, community and grid, on the page, in the CSV export and
in the headline. Every number below was worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from govern.csv_export import BOM
from govern.office.selectors.headline import headline
from govern.office.selectors.kpis import kpis, parse_period
from hazards.models import FixFeedback
from tests.factories import CommunityFactory, UserFactory, make_grid
from tests.office.conftest import at, rectify

pytestmark = pytest.mark.django_db

PERIOD = parse_period({"from": "2026-03-02", "to": "2026-03-15"})
URL = "/office/dashboard/?from=2026-03-02&to=2026-03-15"


def answer(hazard, when: str, *, stars: int | None = None, reason: str = "") -> FixFeedback:
    """A resident's answer at a chosen time (the feedback service stamps `now`; KPIs need the past)."""
    if stars is None:
        return FixFeedback.objects.create(hazard=hazard, fixed=False, comment=reason or "还在漏", created_at=at(when))
    return FixFeedback.objects.create(hazard=hazard, fixed=True, stars=stars, created_at=at(when))


@pytest.fixture
def answered(hazard_at):
    one, two = CommunityFactory(name="芬湖社区"), CommunityFactory(name="北厍社区")
    grid_a = make_grid(community=one, west=120.80, south=30.90)
    grid_b = make_grid(community=one, west=120.81, south=30.90)
    grid_c = make_grid(community=two, west=120.82, south=30.90)
    # grid a: four fixes in the period — rated 5 and 3, one "not fixed", one unanswered.
    for stars, day in ((5, "03"), (3, "04"), (None, "05"), ("none", "06")):
        hazard = rectify(hazard_at(grid_a, f"2026-03-{day} 08:00"), f"2026-03-{day} 09:00", f"2026-03-{day} 12:00")
        if stars != "none":
            answer(hazard, f"2026-03-{day} 18:00", stars=stars)
    # grid b: one fix in the period rated 4 — but only after the period ended: not counted.
    late = rectify(hazard_at(grid_b, "2026-03-14 08:00"), "2026-03-14 09:00", "2026-03-15 12:00")
    answer(late, "2026-03-16 09:00", stars=4)
    # grid b: one fix in the period, "not fixed" in it.
    refused = rectify(hazard_at(grid_b, "2026-03-08 08:00"), "2026-03-08 09:00", "2026-03-09 12:00")
    answer(refused, "2026-03-09 20:00", reason="门口仍然堆满杂物")
    # grid c: fixed before the period, rated in it: not this period's fix.
    before = rectify(hazard_at(grid_c, "2026-02-20 08:00"), "2026-02-20 09:00", "2026-02-21 12:00")
    answer(before, "2026-03-03 09:00", stars=1)
    return {"one": one, "two": two, "a": grid_a, "b": grid_b, "c": grid_c}


def _row(rows, pk):
    return next(r for r in rows if r.id == pk).figures


def test_answers_per_district_community_and_grid(answered):
    result = kpis(period=PERIOD)
    d = result.district.figures
    assert d.rectified == 6  # four in a, two in b
    assert (d.confirmed_fixed, d.reopen_requested, d.stars_total) == (2, 2, 8)
    assert d.satisfaction == 4.0 and d.confirmed_percent == "33%" and d.reopen_percent == "33%"

    a = _row(result.grids, answered["a"].pk)
    assert (a.rectified, a.confirmed_fixed, a.reopen_requested) == (4, 2, 1)
    assert (a.satisfaction, a.confirmed_percent, a.reopen_percent) == (4.0, "50%", "25%")
    b = _row(result.grids, answered["b"].pk)
    assert (b.rectified, b.confirmed_fixed, b.reopen_requested) == (2, 0, 1)
    assert (b.satisfaction, b.confirmed_percent, b.reopen_percent) == (None, "0%", "50%")
    c = _row(result.grids, answered["c"].pk)
    assert (c.rectified, c.confirmed_fixed, c.satisfaction, c.confirmed_percent) == (0, 0, None, "—")

    one = _row(result.communities, answered["one"].pk)
    assert (one.rectified, one.confirmed_fixed, one.reopen_requested, one.satisfaction) == (6, 2, 2, 4.0)
    two = _row(result.communities, answered["two"].pk)
    assert (two.confirmed_fixed, two.reopen_requested, two.satisfaction) == (0, 0, None)


def test_the_dashboard_table_shows_them_in_chinese(answered, client, dispatcher):
    client.force_login(dispatcher)
    html = client.get(URL).content.decode()
    assert "平均满意度" in html and "确认已修复" in html and "要求重新处理" in html
    grid_a = f'data-scope="grid" data-id="{answered["a"].pk}"'
    row = html[html.index(grid_a) : html.index("</tr>", html.index(grid_a))]
    assert 'data-k="satisfaction">4.0<' in row and 'data-k="confirmed">50%<' in row and 'data-k="reopen">25%<' in row


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :])))


def test_the_csv_export_has_them_with_names_or_chinese_headers(answered, client, dispatcher):
    client.force_login(dispatcher)
    rows = _csv(client.get("/office/export/kpis.csv?from=2026-03-02&to=2026-03-15&lang=en"))
    header = rows[0]
    assert header[:4] == ["scope", "id", "area", "community"]
    by_scope = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    district = by_scope[("district", "")]
    assert (district["from"], district["to"], district["rectified"]) == ("2026-03-02", "2026-03-15", "6")
    assert district["average_satisfaction"] == "4.0"
    assert (district["confirmed_fixed"], district["confirmed_fixed_rate"]) == ("2", "0.3333")
    assert (district["reopen_requests"], district["reopen_request_rate"]) == ("2", "0.3333")
    a = by_scope[("grid", str(answered["a"].pk))]
    assert (a["community"], a["average_satisfaction"], a["confirmed_fixed_rate"], a["reopen_request_rate"]) == (
        "芬湖社区",
        "4.0",
        "0.5",
        "0.25",
    )
    c = by_scope[("grid", str(answered["c"].pk))]
    assert (c["average_satisfaction"], c["confirmed_fixed_rate"]) == ("", "")  # nothing to divide by
    assert len(rows) == 1 + 1 + 2 + 3  # header, district, two communities, three grids

    chinese = _csv(client.get("/office/export/kpis.csv?from=2026-03-02&to=2026-03-15"))
    assert "平均满意度（1–5）" in chinese[0] and "要求重新处理率" in chinese[0]
    assert chinese[1:] == rows[1:]  # the same rows either way


def test_the_csv_export_refuses_a_bad_period_naming_the_field(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get("/office/export/kpis.csv?from=yesterday")
    assert response.status_code == 400 and response.content.decode().startswith("from:")
    with translation.override("en"):
        response = client.get("/office/export/kpis.csv?from=2026-03-10&to=2026-03-01", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "from" in response.content.decode()


def test_the_csv_export_is_for_dispatchers_only(client):
    from govern.roles import RESIDENT

    assert client.get("/office/export/kpis.csv").status_code in (302, 403)
    client.force_login(UserFactory(roles=[RESIDENT]))
    assert client.get("/office/export/kpis.csv").status_code == 403


def test_queries_do_not_grow_with_answers(answered, hazard_at, client, dispatcher, django_assert_max_num_queries):
    client.force_login(dispatcher)
    export = "/office/export/kpis.csv?from=2026-03-02&to=2026-03-15"
    with django_assert_max_num_queries(40) as page_small:
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(40) as csv_small:
        assert client.get(export).status_code == 200
    for i in range(20):
        grid = make_grid(west=120.83 + 0.001 * (i % 3), south=30.91 + 0.001 * i, size=0.001)
        day = f"{2 + i % 10:02d}"
        hazard = rectify(hazard_at(grid, f"2026-03-{day} 08:00"), f"2026-03-{day} 09:00", f"2026-03-{day} 12:00")
        answer(hazard, f"2026-03-{day} 20:00", stars=(1 + i % 5) if i % 3 else None)
    with django_assert_max_num_queries(len(page_small.captured_queries)):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(len(csv_small.captured_queries)):
        assert len(_csv(client.get(export))) == 7 + 20 + 20  # a grid (and a community) per new hazard


def test_the_headline_is_the_mean_of_recent_stars(hazard_at, client, dispatcher, django_assert_max_num_queries):
    grid = make_grid(west=120.80, south=30.90)
    now = timezone.now()
    hazards = [hazard_at(grid, now - timedelta(days=100)) for _ in range(4)]
    for hazard, (days, stars) in zip(hazards, ((1, 5), (10, 4), (89, 4), (95, 1)), strict=True):
        FixFeedback.objects.create(hazard=hazard, fixed=True, stars=stars, created_at=now - timedelta(days=days))
    FixFeedback.objects.create(hazard=hazard_at(grid, now - timedelta(days=3)), fixed=False, comment="没修好")
    with django_assert_max_num_queries(4):
        figures = headline(now=now)
    # The 95-day-old rating is out of the window; "not fixed" has no stars.
    assert (figures.satisfaction, figures.ratings) == (4.3, 3)
    client.force_login(dispatcher)
    html = client.get("/office/dashboard/").content.decode()
    assert 'data-k="satisfaction">4.3 / 5<' in html and "居民满意度" in html
