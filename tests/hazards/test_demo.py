"""The demo seed: categories, rules, reports in every state; idempotent; the scale seed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Max, Min

from hazards.models import Category, Hazard, HazardPhoto, Source, Status, TriageRule

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_gives_every_state_once(media_root):
    call_command("seed_demo", stdout=io.StringIO())
    first = sorted(Hazard.objects.values_list("tracking_code", flat=True))
    call_command("seed_demo", stdout=io.StringIO())
    assert sorted(Hazard.objects.values_list("tracking_code", flat=True)) == first
    assert Category.objects.count() == 9 and TriageRule.objects.count() >= 10
    assert set(Hazard.objects.values_list("status", flat=True)) == set(Status.values)
    duplicate = Hazard.objects.get(status=Status.DUPLICATE)
    assert duplicate.duplicate_of.status == Status.TRIAGED
    assert HazardPhoto.objects.filter(hazard__source=Source.DEMO).count() >= 10
    critical = Hazard.objects.get(description__startswith="黎里老街38号")
    assert critical.severity == "critical"  # 煤气味 → the gas leak rule fired
    from hazards.models import Task

    states = sorted(Task.objects.values_list("assignee__username", "status"))
    assert states == [
        ("grid1", "in_progress"),
        ("grid1", "offered"),
        ("vol1", "accepted"),
        ("vol1", "done"),
        ("vol1", "offered"),
    ]


def test_demo_tracking_codes_are_deterministic(media_root):
    call_command("seed_demo", stdout=io.StringIO())
    codes = list(Hazard.objects.order_by("id").values_list("tracking_code", flat=True))
    assert len(set(codes)) == len(codes) == 15  # 10 reports in every state + 5 with demo tasks
    Hazard.objects.filter(duplicate_of__isnull=False).delete()
    Hazard.objects.all().delete()
    call_command("seed_demo", stdout=io.StringIO())
    assert list(Hazard.objects.order_by("id").values_list("tracking_code", flat=True)) == codes


def test_seed_scale_adds_ten_per_unit_quickly(django_assert_max_num_queries):
    from govern.demo import DemoContext, seed_accounts, seed_geography
    from govern.management.commands.seed_demo import ProgressBar
    from hazards.demo import seed_categories, seed_scale

    ctx = DemoContext(log=lambda _msg: None)
    seed_accounts(ctx)
    seed_geography(ctx)
    seed_categories()
    stream = io.StringIO()
    with django_assert_max_num_queries(40):  # batches, never a query per row (SQLite caps rows per INSERT)
        seed_scale(ctx, 150, lambda label, total: ProgressBar(label, total, stream=stream))
    assert Hazard.objects.count() == 1500
    assert "100%" in stream.getvalue()
    grids = {g.pk: g for g in ctx.grids}
    for hazard in Hazard.objects.all()[:50]:
        grid = grids[hazard.grid_id]
        assert grid.min_latitude <= hazard.latitude <= grid.max_latitude
        assert hazard.community_id == grid.community_id
    ages = Hazard.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert ages["last"] - ages["first"] > timedelta(days=30)  # spread over 90 days, not all "now"
    seed_scale(ctx, 150, lambda label, total: ProgressBar(label, total, stream=io.StringIO()))
    assert Hazard.objects.count() == 1500  # idempotent: the same scale adds nothing
    seed_scale(ctx, 200, lambda label, total: ProgressBar(label, total, stream=io.StringIO()))
    assert Hazard.objects.count() == 2000  # a larger scale tops up to 10×n
