"""The risk heat map: one score per grid from its open hazards, weighted by severity and age.

    score(grid) = Σ over the grid's unfixed hazards  w(severity) × (1 + min(age_days, 14) / 7)

- unfixed: submitted, triaged, dispatched, in progress or reopened (a rectified hazard is fixed
  and waits only for a check; closed, rejected and duplicate ones are gone).
- w: low 1, medium 2, high 4, critical 8 — each step of severity doubles the weight.
- age_days: whole days since the report (floor), capped at 14, so a hazard left alone for two
  weeks weighs three times a fresh one, and the score cannot grow without bound.
- levels (for colour): 0 none; up to 4 low; up to 12 medium; up to 30 high; above critical.
  One fresh critical hazard (8) is "medium"; the same left two weeks (24) is "high".

One grouped query (grid × severity × age in days) whatever the number of hazards; the age
buckets are computed in SQL with CASE against fixed cut-off times, so it runs the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone

from govern.models import Grid
from hazards.models import Hazard, Severity, Status

UNFIXED = (Status.SUBMITTED, Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED)
SEVERITY_WEIGHT = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 4, Severity.CRITICAL: 8}
AGE_CAP_DAYS = 14
LEVELS = [(0, "none"), (4, "low"), (12, "medium"), (30, "high")]  # score ≤ bound → level; else critical
FORMULA = "score = Σ w(severity) × (1 + min(age_days, 14) / 7); w: low 1, medium 2, high 4, critical 8"


def age_factor(days: int) -> float:
    return 1 + min(max(days, 0), AGE_CAP_DAYS) / 7


def level_of(score: float) -> str:
    for bound, name in LEVELS:
        if score <= bound:
            return name
    return "critical"


@dataclass
class GridRisk:
    id: int
    name: str
    code: str
    community: str
    boundary: dict
    score: float
    level: str
    unfixed: int
    by_severity: dict[str, int]


def grid_risk(*, now: datetime | None = None) -> list[GridRisk]:
    now = now or timezone.now()
    age = Case(
        *[When(created_at__gt=now - timedelta(days=d + 1), then=Value(d)) for d in range(AGE_CAP_DAYS)],
        default=Value(AGE_CAP_DAYS),
        output_field=IntegerField(),
    )
    rows = (
        Hazard.objects.filter(status__in=UNFIXED)
        .annotate(age_days=age)
        .values("grid_id", "severity", "age_days")
        .annotate(n=Count("id"))
        .order_by()
    )
    scores: dict[int, float] = {}
    unfixed: dict[int, int] = {}
    severities: dict[int, dict[str, int]] = {}
    for row in rows:
        grid_id = row["grid_id"]
        weight = SEVERITY_WEIGHT.get(row["severity"], 1)
        scores[grid_id] = scores.get(grid_id, 0.0) + row["n"] * weight * age_factor(row["age_days"])
        unfixed[grid_id] = unfixed.get(grid_id, 0) + row["n"]
        per = severities.setdefault(grid_id, dict.fromkeys(Severity.values, 0))
        per[row["severity"]] = per.get(row["severity"], 0) + row["n"]
    grids = (
        Grid.objects.select_related("community")
        .only("id", "name", "code", "boundary", "community__name")
        .order_by("community__name", "name", "id")
    )
    out = []
    for grid in grids:
        score = round(scores.get(grid.pk, 0.0), 2)
        out.append(
            GridRisk(
                id=grid.pk,
                name=grid.name,
                code=grid.code,
                community=grid.community.name,
                boundary=grid.boundary,
                score=score,
                level=level_of(score),
                unfixed=unfixed.get(grid.pk, 0),
                by_severity=severities.get(grid.pk, dict.fromkeys(Severity.values, 0)),
            )
        )
    return out


GRID_JSON_FIELDS = ("id", "name", "community", "score", "level", "unfixed")


def _grid_json(r: GridRisk) -> dict:
    return {name: getattr(r, name) for name in GRID_JSON_FIELDS}


def as_json(risks: list[GridRisk]) -> dict:
    return {
        "formula": FORMULA,
        "generated_at": timezone.now().isoformat(),
        "grids": [{**_grid_json(r), "by_severity": r.by_severity} for r in risks],
    }


def map_grids(risks: list[GridRisk]) -> list[dict]:
    """The grids as the dashboard's map draws them: outline, label, score and level."""
    return [{**_grid_json(r), "boundary": r.boundary} for r in risks if r.boundary]


def svg_shapes(risks: list[GridRisk], *, width: int = 560) -> dict:
    """Grid outlines projected to SVG coordinates (equirectangular, scaled by cos(latitude)), so
    the heat map draws without map tiles or a JavaScript library."""
    rings = []
    for r in risks:
        coords = (r.boundary or {}).get("coordinates") or []
        if coords and coords[0]:
            rings.append((r, coords[0]))
    if not rings:
        return {"width": width, "height": 0, "shapes": []}
    lngs = [p[0] for _r, ring in rings for p in ring]
    lats = [p[1] for _r, ring in rings for p in ring]
    min_lng, max_lng, min_lat, max_lat = min(lngs), max(lngs), min(lats), max(lats)
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lng - min_lng) * kx, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    pad = 6
    scale = (width - 2 * pad) / span_x
    height = int(span_y * scale + 2 * pad)
    shapes = []
    for r, ring in rings:
        points = " ".join(
            f"{pad + (lng - min_lng) * kx * scale:.1f},{pad + (max_lat - lat) * scale:.1f}" for lng, lat, *_ in ring
        )
        cx = sum(p[0] for p in ring[:-1] or ring) / len(ring[:-1] or ring)
        cy = sum(p[1] for p in ring[:-1] or ring) / len(ring[:-1] or ring)
        shapes.append(
            {
                "risk": r,
                "points": points,
                "cx": round(pad + (cx - min_lng) * kx * scale, 1),
                "cy": round(pad + (max_lat - cy) * scale, 1),
            }
        )
    return {"width": width, "height": height, "shapes": shapes}
