"""A smoke run of the benchmark harness (`python -m bench --quick`) on the services stack.

It asserts that every benchmark ran and produced its rows, never a timing or a target: figures
live in bench/RESULTS.md, measured by `make bench`. Without this, a change to an endpoint the
harness drives would only show up as a FAILED row in the next full bench run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


def _neighbour_redis_db(url: str) -> str:
    """The bench flushes its Redis database: never the one the suite is using."""
    match = re.match(r"^(redis://[^/]+)/(\d+)$", url)
    base, index = (match.group(1), int(match.group(2))) if match else (url.rstrip("/"), 0)
    return f"{base}/{(index + 1) % 16}"


def test_quick_bench_runs_every_benchmark(tmp_path):
    database = settings.DATABASES["default"]["NAME"]
    if database.startswith("test_"):
        database = database[len("test_") :]
    env = dict(os.environ)
    env.update(
        {
            "BENCH_DB_NAME": f"{database}_bench_smoke",
            "BENCH_REDIS_URL": _neighbour_redis_db(os.environ["REDIS_URL"]),
        }
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the harness configures its own stack
    out = tmp_path / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "FAILED" not in text, text
    for figure in (
        "photo pipeline",
        "intake: reports/s",
        "live latency p99",
        "ASGI worker RSS",
        "redemption:",
        "candidates 100/10",
        "hazard list status+grid",
        "hazard list bbox",
        "hazard list near",
        "export memory: hazards.csv",
        "export memory: tasks.csv",
        "capacity floor: authenticated no-op POST",
        "capacity: hazard list",
        "capacity: task list",
        "capacity: home page",
    ):
        assert f"| {figure}" in text, f"no row for {figure!r}:\n{text}"
    # Exactly-once at the smoke size too (20 clients, stock 5).
    assert "5 issued (201), 15 out of stock (409), 0 other" in text and "ledger sums equal balances: True" in text
    assert "not 2xx [" not in text  # every capacity request answered (pages need collectstatic's manifest)
    assert "- machine:" in text and "- command: `python -m bench --quick`" in text
