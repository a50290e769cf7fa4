"""`make bench` (python -m bench [--quick]): every benchmark on the services stack, one table.

PostgreSQL and Redis on this machine, two uvicorn ASGI worker processes, a Celery worker. Each
figure comes with a floor measured in the same run; bench/RESULTS.md gets the table, the machine,
the date and the command. --quick runs tiny sizes (a smoke run, not a measurement).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

from bench import stack
from bench.report import Report, Row

FULL = {
    "idle": 1000,
    "live_samples": 200,
    "intake_total": 60,
    "intake_concurrency": 6,
    "pipeline_s": 8.0,
    "scales": (1_000, 10_000, 100_000),
    "repeats": 15,
    "redeem_clients": 200,
    "redeem_stock": 50,
    "capacity_clients": 16,
    "capacity_s": 10.0,
}
SECTIONS = ("pipeline", "intake", "live", "redemption", "capacity", "scale", "export")
QUICK = {
    "idle": 20,
    "live_samples": 5,
    "intake_total": 4,
    "intake_concurrency": 2,
    "pipeline_s": 1.0,
    "scales": (10, 30, 100),
    "repeats": 3,
    "redeem_clients": 20,
    "redeem_stock": 5,
    "capacity_clients": 2,
    "capacity_s": 1.0,
}


def _refresh_positions() -> None:
    """Seeding 100k volunteers takes minutes; their positions must still count as fresh."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE volunteers_volunteer SET position_updated_at = now() WHERE on_duty")
        cursor.execute("ANALYZE")


def _probe_hazard_id() -> int:
    from hazards.models import Hazard

    hazard = (
        Hazard.objects.filter(status="triaged", latitude__range=(30.905, 30.935), longitude__range=(120.81, 120.85))
        .order_by("id")
        .first()
    )
    return hazard.pk


def _guarded(report: Report, name: str, fn, *args, **kwargs):
    """Run one benchmark; a failure becomes a row saying so (and the run goes on), never a lost table."""
    import traceback

    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # a benchmark's crash is a result to report, not a reason to lose the rest
        traceback.print_exc()
        report.add(Row(name=name, value=None, unit="", ok=False, note=f"FAILED: {type(exc).__name__}: {exc}"[:300]))
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of the harness")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {','.join(SECTIONS)} (default: all)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()} or set(SECTIONS)
    if only - set(SECTIONS):
        parser.error(f"--only: unknown section(s) {sorted(only - set(SECTIONS))}; choose from {', '.join(SECTIONS)}")
    size = QUICK if args.quick else FULL
    t0 = time.monotonic()
    report = Report()

    print("== preparing: fresh database, migrations, demo", flush=True)
    stack.reset_database()
    stack.manage("migrate", "--noinput")
    # Debug is off: pages need the manifest collectstatic writes (without it every page answers 500).
    stack.manage("collectstatic", "--noinput", "-v0")
    stack.manage("seed_demo")
    stack.setup_django()

    from bench import capacity, dispatch, intake, lists, live_latency, pipeline, redemption
    from bench.clients import token
    from bench.photos import phone_jpeg
    from govern.models import Grid

    photo = phone_jpeg()
    servers = [stack.Server().start(), stack.Server().start()]
    worker = stack.Worker().start()
    try:
        if "pipeline" in only:
            print("== photo pipeline", flush=True)
            _guarded(report, "photo pipeline", pipeline.run, report, photo=photo, seconds=size["pipeline_s"])
        if "intake" in only:
            print("== intake", flush=True)
            _guarded(
                report,
                "intake",
                intake.run,
                report,
                servers,
                photo=photo,
                total=size["intake_total"],
                concurrency=size["intake_concurrency"],
                category="fire-passage",
            )
        if "live" in only:
            print("== live latency", flush=True)
            _guarded(
                report,
                "live latency",
                live_latency.run,
                report,
                servers,
                samples=size["live_samples"],
                idle=size["idle"],
                photo=photo,
                category="fire-passage",
            )
            # The worker is still re-encoding the photos of those reports: let it finish, so the
            # next benchmark (and its floor) does not share the cores with a backlog.
            intake.drain(timeout=600)
        if "redemption" in only:
            print("== redemption under contention", flush=True)
            _guarded(
                report,
                "redemption",
                redemption.run,
                report,
                [s.url for s in servers],
                clients=size["redeem_clients"],
                stock=size["redeem_stock"],
                pids=[s.pid for s in servers],
            )

        dispatcher = token(servers[0].url, "dispatcher")
        if "capacity" in only:
            print("== capacity of the README stack", flush=True)
            _guarded(
                report,
                "capacity",
                capacity.run,
                report,
                [s.url for s in servers],
                token=dispatcher,
                clients=size["capacity_clients"],
                seconds=size["capacity_s"],
            )
        grid_id = Grid.objects.order_by("id").values_list("id", flat=True).first()
        candidates: dict[int, float] = {}
        list_small = list_large = None
        for scale in size["scales"] if "scale" in only else ():
            print(f"== scale {scale:,}: seed_demo --scale {scale}", flush=True)
            stack.manage("seed_demo", "--scale", str(scale), quiet=False)
            _refresh_positions()
            if dispatch.available(servers[0].url, dispatcher, _probe_hazard_id()):
                candidates[scale] = dispatch.measure(servers[0].url, dispatcher, _probe_hazard_id(), size["repeats"])
            if scale == size["scales"][0]:
                list_small = lists.measure(servers[0].url, dispatcher, grid_id, size["repeats"])
            if scale == size["scales"][-1]:
                list_large = lists.measure(servers[0].url, dispatcher, grid_id, size["repeats"])
        if "scale" not in only:
            pass
        elif candidates:
            for row in dispatch.rows(candidates):
                report.add(row)
        else:
            report.add(
                Row(
                    name="candidate ranking",
                    value=None,
                    unit="",
                    note="not measured: GET /api/v1/hazards/{id}/candidates/ answered 404 (dispatch not built)",
                )
            )
        small_n, large_n = size["scales"][0] * 10, size["scales"][-1] * 10
        if "scale" in only:
            for row in lists.rows(list_small, list_large, small_n, large_n):
                report.add(row)

        if "export" not in only:
            pass
        elif importlib.util.find_spec("bench.export_memory"):
            print("== export memory", flush=True)
            from bench import export_memory

            _guarded(
                report,
                "CSV export memory",
                export_memory.run,
                report,
                **({"rows": 2_000, "small": 200} if args.quick else {}),
            )
        else:
            report.add(
                Row(
                    name="CSV export memory, 100k rows",
                    value=None,
                    unit="",
                    note="not measured: the back-office export is not built yet",
                )
            )
    finally:
        worker.stop()
        for server in servers:
            server.stop()

    elapsed = time.monotonic() - t0
    flags = " ".join(f for f in ("--quick" if args.quick else "", f"--only {args.only}" if args.only else "") if f)
    command = f"python -m bench {flags}" if flags else "make bench"
    report.write(Path(args.out), command, elapsed)
    print("\n" + report.table(), flush=True)
    print(f"\nwrote {args.out} in {elapsed:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
