"""Capacity of the README's services stack: how many requests per second the two single-process
uvicorns answer, and their p99, for the pages and lists people use most, each against the floor
(an authenticated POST that does nothing, bench_views.AuthenticatedPost) measured in the same run.

Closed loop: `clients` threads, each with its own keep-alive connection, alternate between the two
servers and send the next request as soon as the last is answered, for `seconds` per endpoint
(after a short warm-up). The floor is measured first and again last; the figure's floor is their
mean, so a machine that slowed down during the run shows in the note, not in a ratio.
"""

from __future__ import annotations

import threading
import time

import requests

from bench.report import Report, Row, percentile

ENDPOINTS = [
    # (name, method, path, authenticated)
    ("hazard list (dispatcher, GET /api/v1/hazards/)", "GET", "/api/v1/hazards/?page_size=20", True),
    ("task list (dispatcher, GET /api/v1/tasks/)", "GET", "/api/v1/tasks/?page_size=20", True),
    ("home page (anonymous, GET /)", "GET", "/", False),
]
FLOOR = ("authenticated no-op POST", "POST", "/bench/authenticated-post/", True)


def _load(urls: list[str], endpoint, token: str, clients: int, seconds: float):
    """Requests per second, latencies (ms), the non-2xx statuses and their count, of one closed-loop run."""
    _name, method, path, authenticated = endpoint
    headers = {"Authorization": f"Token {token}"} if authenticated else {}
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[int]] = [[] for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client(index: int) -> None:
        session = requests.Session()
        session.headers.update(headers)
        session.request(method, urls[index % len(urls)] + path, timeout=60)  # warm the connection
        start_gate.wait()
        n = index
        mine = latencies[index]
        while time.perf_counter() < stop_at[0]:
            sent = time.perf_counter()
            response = session.request(method, urls[n % len(urls)] + path, timeout=60)
            mine.append((time.perf_counter() - sent) * 1000)
            if response.status_code >= 300:
                errors[index].append(response.status_code)
            n += 1
        session.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.perf_counter() + 3600)
    start_gate.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [ms for per_client in latencies for ms in per_client]
    return len(flat) / elapsed, flat, sorted({code for codes in errors for code in codes}), sum(map(len, errors))


def run(report: Report, urls: list[str], *, token: str, clients: int, seconds: float) -> None:
    floor_before = _load(urls, FLOOR, token, clients, seconds)
    measured = [(endpoint, _load(urls, endpoint, token, clients, seconds)) for endpoint in ENDPOINTS]
    floor_after = _load(urls, FLOOR, token, clients, seconds)
    floor_rate = (floor_before[0] + floor_after[0]) / 2
    floor_p99 = (percentile(floor_before[1], 99) + percentile(floor_after[1], 99)) / 2
    if floor_before[3] or floor_after[3]:
        raise RuntimeError(f"the no-op floor answered {floor_before[2] + floor_after[2]}")
    stack = f"{len(urls)} single-process uvicorns, {clients} keep-alive clients, {seconds:.0f} s each"
    report.add(
        Row(
            name=f"capacity floor: authenticated no-op POST ({stack})",
            value=floor_rate,
            unit="requests/s",
            note=f"measured before and after the endpoints below: {floor_before[0]:.0f} and {floor_after[0]:.0f} "
            f"requests/s, p99 {percentile(floor_before[1], 99):.1f} and {percentile(floor_after[1], 99):.1f} ms "
            "(what the stack answers at all: token authentication, DRF, the ASGI servers, no database work)",
        )
    )
    for (name, _method, _path, _auth), (rate, latencies, statuses, errors) in measured:
        p99 = percentile(latencies, 99)
        note = (
            f"p99 {p99:.1f} ms against the floor's {floor_p99:.1f} ms ({p99 / floor_p99:.1f}×); "
            f"p50 {percentile(latencies, 50):.1f} ms; {len(latencies)} requests, {errors} not 2xx {statuses or ''}"
        )
        for suffix, value, unit, floor in (("", rate, "requests/s", floor_rate), (" p99", p99, "ms", floor_p99)):
            report.add(
                Row(
                    name=f"capacity: {name}{suffix}",
                    value=value,
                    unit=unit,
                    floor=floor,
                    floor_name=f"no-op POST{suffix}",
                    ratio=value / floor,
                    note="" if suffix else note,
                    ok=None if errors == 0 else False,
                )
            )
