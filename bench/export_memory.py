"""Export memory: the hazards and tasks CSV exports' peak Python memory (tracemalloc, in-process, through
the real view and the configured database) for 100k rows against the same export of 1k rows.

A flat export holds one fetch chunk (exports.CHUNK_SIZE rows) and one write block at a time, so
100× the rows should cost about the same memory; an export that built the file in memory would
cost ~100×. Seeds two bench grids (codes `bench-export-*`; every hazard and task in them is the
bench's) with bulk_create and removes them afterwards. Needs Django set up (the bench runner does it) and a migrated database;
run it against PostgreSQL (services mode) for production-like cursors.

    DATABASE_URL=postgres://... python -c "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'govern.settings'); django.setup(); from bench.report import Report; from bench import export_memory; export_memory.run(Report())"
"""

from __future__ import annotations

import time
import tracemalloc

from bench.report import Report, Row


def _seed(big: int, small: int):
    from django.db import transaction
    from django.utils import timezone

    from govern.models import Community, Grid
    from govern.services import grid_save
    from hazards.demo import seed_categories
    from hazards.models import Hazard, Source

    category = seed_categories()["fire-passage"]
    community, _ = Community.objects.get_or_create(code="bench-export", defaults={"name": "导出基准社区"})
    grids = []
    for i, code in enumerate(("bench-export-small", "bench-export-big")):
        west = 121.50 + i * 0.01
        boundary = {
            "type": "Polygon",
            "coordinates": [[[west, 31.50], [west + 0.01, 31.50], [west + 0.01, 31.51], [west, 31.51], [west, 31.50]]],
        }
        grid = Grid.objects.filter(code=code).first() or grid_save(
            community=community, code=code, name=code, boundary=boundary
        )
        grids.append(grid)
    now = timezone.now()
    counts = {grids[0].pk: small, grids[1].pk: big - small}
    for grid in grids:
        have = Hazard.objects.filter(grid=grid).count()
        todo = counts[grid.pk] - have
        batch = []
        for n in range(have, have + max(todo, 0)):
            batch.append(
                Hazard(
                    tracking_code=f"BX{grid.pk % 100:02d}{n:09d}"[:16],
                    category=category,
                    description=f"基准导出隐患 {n}: 楼道堆放杂物，消防通道被堵，需要尽快清理。" * 2,
                    severity="medium",
                    peak_severity="medium",
                    latitude=31.505,
                    longitude=grid.center_longitude,
                    address=f"{n} 号楼",
                    grid=grid,
                    community=community,
                    source=Source.DEMO,
                    created_at=now,
                    status_changed_at=now,
                )
            )
            if len(batch) >= 5000:
                with transaction.atomic():
                    Hazard.objects.bulk_create(batch)
                batch = []
        if batch:
            with transaction.atomic():
                Hazard.objects.bulk_create(batch)
    return grids


def _seed_tasks(grids) -> None:
    """One accepted task per bench hazard (tasks.csv joins hazard, category, community, grid, users)."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from hazards.models import Hazard, Task, TaskStatus

    worker, _ = get_user_model().objects.get_or_create(
        username="bench-export-worker", defaults={"display_name": "基准网格员"}
    )
    now = timezone.now()
    todo = (
        Hazard.objects.filter(grid__in=grids, tasks__isnull=True).values_list("pk", flat=True).iterator(chunk_size=5000)
    )
    batch = []
    for hazard_id in todo:
        batch.append(
            Task(
                hazard_id=hazard_id,
                assignee=worker,
                assignee_kind="grid_worker",
                status=TaskStatus.ACCEPTED,
                offered_at=now,
                accept_deadline=now + timedelta(minutes=30),
                due_at=now + timedelta(hours=4),
                accepted_at=now + timedelta(minutes=3),
                distance_m=420.0,
                instructions="基准任务",
            )
        )
        if len(batch) >= 5000:
            with transaction.atomic():
                Task.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Task.objects.bulk_create(batch)


def _cleanup(grids) -> None:
    from django.contrib.auth import get_user_model

    from govern.models import Community, Grid
    from hazards.models import Hazard, Task

    Task.objects.filter(hazard__grid__in=grids).delete()
    Hazard.objects.filter(grid__in=grids)._raw_delete(Hazard.objects.db)
    Grid.objects.filter(pk__in=[g.pk for g in grids]).delete()
    Community.objects.filter(code="bench-export", grids__isnull=True).delete()
    get_user_model().objects.filter(username__in=["bench-dispatcher", "bench-export-worker"]).delete()


def _export_peak(query: str, name: str = "hazards") -> tuple[int, int, float]:
    """(peak bytes, bytes streamed, seconds) of one export through the view."""
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from govern.office.views import export

    user, _ = get_user_model().objects.get_or_create(username="bench-dispatcher", defaults={"is_superuser": True})
    request = RequestFactory().get(f"/office/export/{name}.csv?" + query)
    request.user = user
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    response = export(request, name=name)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, elapsed


def run(report: Report, *, rows: int = 100_000, small: int = 1_000, keep: bool = False) -> None:
    from django.db import connection

    grids = _seed(rows, small)
    _seed_tasks(grids)
    try:
        only_small = f"grid={grids[0].pk}"
        both = f"grid={grids[0].pk},{grids[1].pk}"
        for name in ("hazards", "tasks"):
            _export_peak(only_small, name)  # warm imports and caches
            floor_peak, floor_size, _ = _export_peak(only_small, name)
            peak, size, seconds = _export_peak(both, name)
            ratio = peak / floor_peak
            report.add(
                Row(
                    name=f"export memory: {name}.csv peak for {rows:,} rows ({connection.vendor})",
                    value=peak / 2**20,
                    unit="MiB",
                    floor=floor_peak / 2**20,
                    floor_name=f"same export, {small:,} rows",
                    ratio=ratio,
                    target="≤ 3× (flat)",
                    ok=ratio <= 3,
                    note=(
                        f"tracemalloc peak through the view; {size / 2**20:.1f} MiB of CSV streamed in {seconds:.1f} s "
                        f"({rows / seconds:,.0f} rows/s) against {floor_size / 2**20:.2f} MiB for {small:,} rows: "
                        f"{size / floor_size:.0f}× the bytes for {ratio:.1f}× the memory"
                    ),
                )
            )
    finally:
        if not keep:
            _cleanup(grids)
