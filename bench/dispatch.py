"""Candidate ranking through the real server as on-duty volunteers grow."""

from __future__ import annotations

import statistics
import time

import requests

from bench.report import Row


def available(base_url: str, token: str, hazard_id: int) -> bool:
    response = requests.get(
        f"{base_url}/api/v1/hazards/{hazard_id}/candidates/", headers={"Authorization": f"Token {token}"}, timeout=60
    )
    return response.status_code != 404


def measure(base_url: str, token: str, hazard_id: int, repeats: int) -> float:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    url = f"{base_url}/api/v1/hazards/{hazard_id}/candidates/"
    session.get(url, timeout=60).raise_for_status()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        session.get(url, timeout=60).raise_for_status()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def rows(by_size: dict[int, float]) -> list[Row]:
    sizes = sorted(by_size)
    small, large = sizes[0], sizes[-1]
    out = [Row(name=f"candidates with {n:,} on-duty volunteers (median)", value=by_size[n], unit="ms") for n in sizes]
    ratio = by_size[large] / by_size[small]
    out.append(
        Row(
            name=f"candidates {large:,}/{small:,} volunteers",
            value=by_size[large],
            unit="ms",
            floor=by_size[small],
            floor_name=f"at {small:,}",
            ratio=ratio,
            target="≤ 3",
            ok=ratio <= 3,
            note="volunteers are spread evenly over the 6×4 km demo district, so the 100k case has ~100× more people within the search radius; the database returns only the nearest (rings of the partial position index ordered by a SQL planar distance with a LIMIT, growing until the best 20 by ETA are certain), so a denser district reads fewer rows, not more",
        )
    )
    return out
