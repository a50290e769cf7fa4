"""KPI figures against a hand-built fixture: every number below was worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from govern.errors import InvalidInput
from govern.office.selectors.kpis import duration_text, kpis, parse_period, percentile, trend
from hazards.models import Status
from rewards.ledger import points_adjust
from tests.factories import CommunityFactory, UserFactory, make_grid
from tests.office.conftest import move, rectify, service, task_at, volunteer_in

pytestmark = pytest.mark.django_db

PERIOD = parse_period({"from": "2026-03-02", "to": "2026-03-15"})


def test_percentile_interpolates_between_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == pytest.approx(46)
    assert percentile([3600, 3600, 7200, 14400, 86400, 1555200], 0.5) == 10800
    assert percentile([3600, 3600, 7200, 14400, 86400, 1555200], 0.9) == pytest.approx(820800)


def test_duration_text():
    with translation.override("en"):
        assert duration_text(None) == "—"
        assert duration_text(35 * 60) == "35 min"
        assert duration_text(2 * 3600 + 5 * 60) == "2 h 05 min"
        assert duration_text(3 * 86400 + 4 * 3600) == "3 d 4 h"


def test_period_parsing_and_its_errors():
    assert PERIOD.days == 14 and PERIOD.first_day == date(2026, 3, 2)
    assert (PERIOD.end - PERIOD.start).days == 14
    default = parse_period({}, today=date(2026, 3, 31))
    assert (default.first_day, default.last_day) == (date(2026, 3, 4), date(2026, 3, 31))
    with pytest.raises(InvalidInput) as bad:
        parse_period({"from": "2026-13-01"})
    assert bad.value.field == "from"
    with pytest.raises(InvalidInput) as reversed_:
        parse_period({"from": "2026-03-10", "to": "2026-03-01"})
    assert reversed_.value.field == "from"
    with pytest.raises(InvalidInput):
        parse_period({"from": "2020-01-01", "to": "2026-01-01"})


@pytest.fixture
def world(hazard_at):
    one, two = CommunityFactory(name="芬湖社区"), CommunityFactory(name="北厍社区")
    grid_a = make_grid(community=one, west=120.80, south=30.90)
    grid_b = make_grid(community=one, west=120.81, south=30.90)
    grid_c = make_grid(community=two, west=120.82, south=30.90)
    h = {}
    h[1] = rectify(
        hazard_at(grid_a, "2026-03-02 10:00"), "2026-03-02 10:30", "2026-03-02 11:00", verified="2026-03-03 09:00"
    )
    h[2] = rectify(hazard_at(grid_a, "2026-03-03 08:00"), "2026-03-03 08:10", "2026-03-03 10:00")
    h[3] = rectify(hazard_at(grid_a, "2026-03-04 08:00"), "2026-03-04 08:10", "2026-03-04 12:00")
    h[4] = rectify(hazard_at(grid_a, "2026-03-05 08:00"), "2026-03-05 08:10", "2026-03-06 08:00")
    h[5] = move(hazard_at(grid_a, "2026-03-05 09:00"), [(Status.REJECTED, "2026-03-05 10:00")])
    h[6] = hazard_at(grid_a, "2026-03-06 09:00")
    # Reported before the period, first rectified in it (18 days later).
    h[7] = rectify(hazard_at(grid_b, "2026-02-20 08:00"), "2026-02-20 09:00", "2026-03-10 08:00")
    # Reported in the period, rectified after it.
    h[8] = rectify(hazard_at(grid_b, "2026-03-10 08:00"), "2026-03-10 09:00", "2026-03-20 08:00")
    # Late on the last day, rectified just after midnight: reported in, rectified out of the period.
    h[9] = rectify(hazard_at(grid_c, "2026-03-15 23:00"), "2026-03-15 23:10", "2026-03-16 00:30")
    # Outside the period entirely.
    rectify(hazard_at(grid_c, "2026-01-05 08:00"), "2026-01-05 09:00", "2026-01-06 08:00")

    vol1 = volunteer_in(one, UserFactory())
    vol2 = volunteer_in(one, UserFactory())
    vol3 = volunteer_in(two, UserFactory())
    service(vol1, "2026-03-03", 90)
    service(vol1, "2026-03-15", 30)
    service(vol2, "2026-03-05", 60)
    service(vol2, "2026-03-06", 500, status="pending")  # not approved: not counted
    service(vol2, "2026-03-16", 120)  # after the period
    service(vol3, "2026-03-02", 45)
    return {"one": one, "two": two, "a": grid_a, "b": grid_b, "c": grid_c, "h": h}


def _row(rows, pk):
    return next(r for r in rows if r.id == pk).figures


def test_counts_rates_and_percentiles_by_scope(world):
    result = kpis(period=PERIOD)
    d = result.district.figures
    # Reported in the period: h1–h6, h8, h9.
    assert d.reported == 8
    # Triaged in the period: h1–h4, h8, h9 (h7 was triaged in February).
    assert d.triaged == 6
    # Rectified in the period: h1–h4, h7 (h9 was rectified on the 16th, h8 on the 20th).
    assert d.rectified == 5
    assert d.verified == 1
    # Rate: base = reported minus rejected h5 = 7; rectified before the end: h1–h4 → 4/7.
    assert (d.rate_base, d.rate_done) == (7, 4)
    assert d.rectification_rate == pytest.approx(4 / 7)
    assert d.rate_percent == "57%"
    # Time to rectify for first fixes in the period: 1 h, 2 h, 4 h, 24 h, 18 d.
    assert sorted(d.rectify_seconds) == [3600, 7200, 14400, 86400, 18 * 86400]
    assert d.median_rectify_s == 14400
    assert d.p90_rectify_s == pytest.approx(86400 + 0.6 * (18 * 86400 - 86400))

    a = _row(result.grids, world["a"].pk)
    assert (a.reported, a.triaged, a.rectified, a.verified) == (6, 4, 4, 1)
    assert (a.rate_base, a.rate_done) == (5, 4)
    assert a.median_rectify_s == pytest.approx(10800)  # between 2 h and 4 h
    assert a.p90_rectify_s == pytest.approx(14400 + 0.7 * (86400 - 14400))
    assert a.active_volunteers is None and a.service_minutes is None  # not attributable to a grid

    b = _row(result.grids, world["b"].pk)
    assert (b.reported, b.triaged, b.rectified, b.rate_base, b.rate_done) == (1, 1, 1, 1, 0)
    assert b.median_rectify_s == 18 * 86400 and b.rectification_rate == 0

    c = _row(result.grids, world["c"].pk)
    assert (c.reported, c.triaged, c.rectified, c.rate_done) == (1, 1, 0, 0)
    assert c.median_rectify_s is None and c.median_rectify_text == "—"

    one = _row(result.communities, world["one"].pk)
    assert (one.reported, one.rectified, one.rate_base, one.rate_done) == (7, 5, 6, 4)
    assert one.median_rectify_s == 14400  # 1 h, 2 h, 4 h, 24 h, 18 d
    assert (one.active_volunteers, one.service_minutes, one.service_hours) == (2, 180, 3.0)
    two = _row(result.communities, world["two"].pk)
    assert (two.reported, two.active_volunteers, two.service_minutes) == (1, 1, 45)
    assert (d.active_volunteers, d.service_minutes, d.service_hours) == (3, 225, 3.8)


def test_points_issued_and_redeemed_are_district_wide(world, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from rewards.models import EntryKind, PointsEntry

    user = UserFactory()
    points_adjust(user_id=user.pk, amount=50, reason="funding", actor=None)
    today = parse_period({"from": timezone.localdate().isoformat(), "to": timezone.localdate().isoformat()})
    # Ledger rows cannot be updated (a trigger), so earnings and redemptions are written now.
    account = PointsEntry.objects.get().account
    for amount, kind, key in [
        (30, EntryKind.EARN, "e1"),
        (12, EntryKind.EARN, "e2"),
        (-40, EntryKind.REDEEM, "r1"),
        (10, EntryKind.REFUND, "f1"),
    ]:
        last = PointsEntry.objects.filter(account=account).order_by("-id").first()
        PointsEntry.objects.create(
            account=account,
            amount=amount,
            kind=kind,
            reason="t",
            balance_after=last.balance_after + amount,
            idempotency_key=key,
        )
    # The balance follows, as rewards.ledger keeps it (the ledger invariants hold after every test).
    account.balance = PointsEntry.objects.filter(account=account).order_by("-id").first().balance_after
    account.save(update_fields=["balance"])
    d = kpis(period=today).district.figures
    assert (d.points_issued, d.points_redeemed) == (42, 30)  # adjustments are not "issued"
    assert kpis(period=PERIOD).district.figures.points_issued == 0


def test_trend_counts_per_week_and_category(world, hazard_at):
    hazard_at(world["a"], "2026-03-03 12:00", category="gas-safety")
    chart = trend(period=PERIOD)
    # Weeks starting Monday 2 March and 9 March.
    assert [w["label"] for w in chart.weeks] == ["03-02", "03-09"]
    assert [w["total"] for w in chart.weeks] == [7, 2]
    with translation.override("zh-hans"):
        assert {c["name"]: c["total"] for c in trend(period=PERIOD).legend} == {"燃气安全": 1, "消防通道堵塞": 8}
    assert chart.max_total == 7
    assert len(chart.bars) == 3  # week 1: two categories; week 2: one


def test_dashboard_queries_do_not_grow_with_data(world, hazard_at, client, dispatcher, django_assert_max_num_queries):
    client.force_login(dispatcher)
    url = "/office/dashboard/?from=2026-03-02&to=2026-03-15"
    with django_assert_max_num_queries(26) as small:  # figures, chart, heat map, headline (4), menu (1)
        assert client.get(url).status_code == 200
    for i in range(30):
        grid = make_grid(west=120.83 + 0.001 * (i % 3), south=30.91 + 0.001 * i, size=0.001)
        hazard = rectify(
            hazard_at(grid, f"2026-03-{2 + i % 10:02d} 08:00"),
            f"2026-03-{2 + i % 10:02d} 09:00",
            f"2026-03-{3 + i % 10:02d} 09:00",
        )
        day = f"2026-03-{2 + i % 10:02d}"
        task_at(
            hazard,
            UserFactory(),
            f"{day} 09:00",
            accepted=f"{day} 09:{i % 50:02d}",
            due=f"{day} 10:00",
            overdue=i % 2 == 0,
        )
        volunteer_in(grid.community, UserFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["kpis"].district.figures.overdue == 15
    assert len(response.context["kpis"].district.figures.accept_seconds) == 30


@pytest.fixture
def tasks_world(hazard_at):
    """Tasks on separate hazards (one engaged task per hazard), times chosen around PERIOD."""
    one, two = CommunityFactory(name="芬湖社区"), CommunityFactory(name="北厍社区")
    grid_a = make_grid(community=one, west=120.80, south=30.90)
    grid_b = make_grid(community=one, west=120.81, south=30.90)
    grid_c = make_grid(community=two, west=120.82, south=30.90)
    worker = UserFactory()

    def task(grid, *args, **kwargs):
        return task_at(hazard_at(grid, "2026-02-25 08:00"), worker, *args, **kwargs)

    # grid a: accepted after 5 min, 20 min, 60 min; T2 done late, T3 flagged overdue; T4 declined.
    task(grid_a, "2026-03-02 10:30", accepted="2026-03-02 10:35", due="2026-03-02 14:00", completed="2026-03-02 11:00")
    task(grid_a, "2026-03-03 08:10", accepted="2026-03-03 08:30", due="2026-03-03 09:00", completed="2026-03-03 10:00")
    task(
        grid_a,
        "2026-03-04 08:10",
        accepted="2026-03-04 09:10",
        due="2026-03-04 10:00",
        status="in_progress",
        overdue=True,
    )
    task(grid_a, "2026-03-04 08:00", due="2026-03-04 12:00", status="declined", ended="2026-03-04 08:05")
    # grid b: offered before the period, accepted in it (2 h), due in it and late; accepted after the period.
    task(
        grid_b,
        "2026-03-01 23:00",
        accepted="2026-03-02 01:00",
        due="2026-03-02 02:00",
        completed="2026-03-02 03:00",
        verified="2026-03-02 04:00",
        overdue=True,
    )
    task(grid_b, "2026-03-15 23:50", accepted="2026-03-16 00:10", due="2026-03-16 04:00")
    # grid c: accepted after 3 h but due after the period (its lateness is not this period's); late before it.
    task(
        grid_c,
        "2026-03-10 09:00",
        accepted="2026-03-10 12:00",
        due="2026-03-20 09:00",
        status="in_progress",
        overdue=True,
    )
    task(
        grid_c,
        "2026-02-27 09:00",
        accepted="2026-02-27 09:30",
        due="2026-03-01 23:59",
        status="in_progress",
        overdue=True,
    )
    return {"one": one, "two": two, "a": grid_a, "b": grid_b, "c": grid_c}


def test_time_to_accept_and_overdue_by_scope(tasks_world):
    result = kpis(period=PERIOD)
    d = result.district.figures
    # Accepted in the period: 5 min, 20 min, 60 min (a), 2 h (b, offered the day before), 3 h (c).
    assert sorted(d.accept_seconds) == [300, 1200, 3600, 7200, 10800]
    assert d.median_accept_s == 3600
    assert d.p90_accept_s == pytest.approx(7200 + 0.6 * (10800 - 7200))  # rank 3.6
    # Late among tasks due in the period: a's done-late and flagged, b's flagged → 3.
    assert d.overdue == 3

    a = _row(result.grids, tasks_world["a"].pk)
    assert sorted(a.accept_seconds) == [300, 1200, 3600] and a.overdue == 2
    assert a.median_accept_s == 1200 and a.p90_accept_s == pytest.approx(1200 + 0.8 * 2400)  # rank 1.8
    b = _row(result.grids, tasks_world["b"].pk)
    assert (b.median_accept_s, b.p90_accept_s, b.overdue) == (7200, 7200, 1)
    c = _row(result.grids, tasks_world["c"].pk)
    assert (c.median_accept_s, c.overdue) == (10800, 0)

    one = _row(result.communities, tasks_world["one"].pk)
    assert one.median_accept_s == pytest.approx(2400)  # between 20 min and 60 min
    assert one.p90_accept_s == pytest.approx(3600 + 0.7 * 3600)  # rank 2.7
    assert one.overdue == 3
    two = _row(result.communities, tasks_world["two"].pk)
    assert (two.median_accept_s, two.overdue) == (10800, 0)
    with translation.override("en"):
        assert one.median_accept_text == "40 min" and two.p90_accept_text == "3 h 00 min"


def test_time_to_accept_is_empty_without_tasks(world):
    d = kpis(period=PERIOD).district.figures
    assert d.accept_seconds == [] and d.median_accept_text == "—" and d.overdue == 0
