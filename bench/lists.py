"""The hazard list with common filters through the real server, at two database sizes."""

from __future__ import annotations

import statistics
import time

import requests

from bench.report import Row

# (label, query string): the filters a dispatcher's board and a map actually use.
QUERIES = [
    ("status+grid", "status=submitted&grid={grid}&page_size=50"),
    ("bbox", "bbox=120.80,30.90,120.82,30.92&page_size=50"),
    ("near", "near=30.91,120.81&radius_m=500&page_size=50"),
]


NOTES = {
    "bbox": "count is exact up to HAZARD_LIST_COUNT_CAP (1,000; count_exact says so), the page sorts primary keys only",
    "near": "pages are read through growing circles (radius/16, /4, radius) that stop at the first holding a page",
}


def measure(base_url: str, token: str, grid_id: int, repeats: int) -> dict[str, float]:
    """Median milliseconds per query shape (after one warm-up request each)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    medians = {}
    for label, query in QUERIES:
        url = f"{base_url}/api/v1/hazards/?{query.format(grid=grid_id)}"
        session.get(url, timeout=60).raise_for_status()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            session.get(url, timeout=60).raise_for_status()
            samples.append((time.perf_counter() - t0) * 1000)
        medians[label] = statistics.median(samples)
    return medians


def rows(small: dict[str, float], large: dict[str, float], small_n: int, large_n: int) -> list[Row]:
    return [
        Row(
            name=f"hazard list {label}: {large_n:,} vs {small_n:,} hazards (median)",
            value=large[label],
            unit="ms",
            floor=small[label],
            floor_name=f"same query at {small_n:,}",
            ratio=large[label] / small[label],
            target="≤ 2",
            ok=large[label] / small[label] <= 2,
            note=NOTES.get(label, ""),
        )
        for label, _q in QUERIES
    ]
