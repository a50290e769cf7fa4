"""`python manage.py seed_demo [--scale N]`: the demo district, accounts and data of every app.

Deterministic and idempotent. Each app contributes `<app>.demo.seed(ctx)` and, for
benchmarks, `<app>.demo.seed_scale(ctx, n, progress)`; they run in dependency order.
"""

from __future__ import annotations

import importlib
import sys

from django.core.management.base import BaseCommand
from django.db import transaction

from govern.demo import (
    DEMO_ACCOUNTS,
    DEMO_OPEN311_KEY,
    DEMO_PASSWORD,
    DemoContext,
    seed_accounts,
    seed_api_clients,
    seed_geography,
)

APP_ORDER = (
    "volunteers",
    "rewards",
    "hazards",
    "hazards.premises",
    "hazards.premises.alerts",
    "hazards.premises.campaigns",
)


def _app_demo(app: str):
    try:
        return importlib.import_module(f"{app}.demo")
    except ModuleNotFoundError as exc:
        if exc.name == f"{app}.demo":
            return None
        raise


class ProgressBar:
    """A plain text progress bar on stderr (no dependency)."""

    def __init__(self, label: str, total: int, stream=None):
        self.label, self.total, self.stream, self.last = label, max(total, 1), stream or sys.stderr, -1

    def __call__(self, done: int) -> None:
        percent = int(done * 100 / self.total)
        if percent != self.last:
            self.last = percent
            bar = "#" * (percent // 4)
            self.stream.write(f"\r{self.label:<24} [{bar:<25}] {percent:3d}% {done}/{self.total}")
            if done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Seed the demo district (idempotent). --scale N adds N volunteers and 10×N hazards."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="extra volunteers (and 10× hazards) for benchmarks")

    def handle(self, *args, scale: int = 0, **options):
        ctx = DemoContext(log=lambda msg: self.stdout.write(msg))
        with transaction.atomic():
            seed_accounts(ctx)
            seed_geography(ctx)
            seed_api_clients(ctx)
            for app in APP_ORDER:
                module = _app_demo(app)
                if module is not None:
                    module.seed(ctx)
        if scale > 0:
            for app in APP_ORDER:
                module = _app_demo(app)
                if module is not None and hasattr(module, "seed_scale"):
                    module.seed_scale(ctx, scale, ProgressBar)
        self.stdout.write(
            self.style.SUCCESS(f"Demo district ready: {len(ctx.communities)} communities, {len(ctx.grids)} grids.")
        )
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        self.stdout.write("  admin          superuser")
        for username, (roles, _phone, display_name) in DEMO_ACCOUNTS.items():
            self.stdout.write(f"  {username:<14} {', '.join(roles):<22} {display_name}")
        self.stdout.write(f"Open311 demo API key: {DEMO_OPEN311_KEY}")
