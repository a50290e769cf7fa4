"""The risk score: severity weights times an age factor, per grid; only unfixed hazards count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from govern.office.heatmap import age_factor, as_json, grid_risk, level_of, svg_shapes
from hazards.models import Status
from tests.factories import make_grid
from tests.office.conftest import move

pytestmark = pytest.mark.django_db


def test_age_factor_and_levels():
    assert age_factor(0) == 1 and age_factor(7) == 2 and age_factor(14) == 3 and age_factor(40) == 3
    assert [level_of(s) for s in (0, 3, 4, 5, 12, 30, 31)] == [
        "none",
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "critical",
    ]


def test_score_by_severity_and_age(hazard_at):
    now = timezone.now()
    hot, calm = make_grid(west=120.80, south=30.90), make_grid(west=120.81, south=30.90)
    hazard_at(hot, now - timedelta(hours=2), severity="critical")  # 8 × 1
    hazard_at(hot, now - timedelta(days=7, hours=1), severity="low")  # 1 × 2
    hazard_at(hot, now - timedelta(days=30), severity="high")  # 4 × 3 (capped)
    triaged = hazard_at(hot, now - timedelta(days=3, hours=5), severity="medium")  # 2 × (1 + 3/7)
    move(triaged, [(Status.TRIAGED, (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M"))])
    # Not counted: fixed (rectified) and gone (rejected).
    fixed = hazard_at(hot, now - timedelta(days=1), severity="critical")
    move(
        fixed,
        [
            (s, now.strftime("%Y-%m-%d %H:%M"))
            for s in (Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RECTIFIED)
        ],
    )
    gone = hazard_at(calm, now - timedelta(days=1), severity="critical")
    move(gone, [(Status.REJECTED, now.strftime("%Y-%m-%d %H:%M"))])

    risks = {r.id: r for r in grid_risk(now=now)}
    expected = 8 + 2 + 12 + 2 * (1 + 3 / 7)
    assert risks[hot.pk].score == pytest.approx(expected, abs=0.01)
    assert risks[hot.pk].unfixed == 4 and risks[hot.pk].level == "high"
    assert risks[hot.pk].by_severity == {"low": 1, "medium": 1, "high": 1, "critical": 1}
    assert risks[calm.pk].score == 0 and risks[calm.pk].level == "none"
    body = as_json(list(risks.values()))
    assert {g["id"] for g in body["grids"]} == {hot.pk, calm.pk} and "score" in body["formula"]
    shapes = svg_shapes(list(risks.values()))
    assert len(shapes["shapes"]) == 2 and shapes["height"] > 0
    # Two side-by-side squares: the second lies to the right of the first.
    first, second = (s for s in shapes["shapes"])
    assert (first["cx"] < second["cx"]) == (first["risk"].id == hot.pk)


def test_heatmap_json_is_for_dispatchers(client, dispatcher, resident, hazard_at, django_assert_max_num_queries):
    grid = make_grid()
    assert client.get("/office/heatmap.json").status_code == 302
    client.force_login(resident)
    assert client.get("/office/heatmap.json").status_code == 403
    client.force_login(dispatcher)
    hazard_at(grid, timezone.now(), severity="high")
    with django_assert_max_num_queries(6) as small:
        body = client.get("/office/heatmap.json").json()
    assert body["grids"][0]["score"] == 4
    for i in range(20):
        hazard_at(make_grid(west=120.82, south=30.91 + i * 0.002, size=0.002), timezone.now() - timedelta(days=i))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/office/heatmap.json").json()["grids"]) == 21
