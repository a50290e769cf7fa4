"""Demo data: deterministic, idempotent, vol1..vol5 dispatchable with skills; seed_scale is fast bulk."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from govern.demo import DemoContext, demo_bounds, seed_accounts, seed_geography
from govern.management.commands.seed_demo import ProgressBar
from volunteers import demo, selectors
from volunteers.models import ServiceRecord, Skill, Team, Volunteer

pytestmark = pytest.mark.django_db


def counts():
    return (Skill.objects.count(), Team.objects.count(), Volunteer.objects.count(), ServiceRecord.objects.count())


def test_seed_demo_is_idempotent_and_dispatchable():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert {"first-aid", "electrician", "gas-safety", "fire-safety", "traffic", "elderly-care"} <= set(
        Skill.objects.values_list("slug", flat=True)
    )
    assert Team.objects.filter(name="黎里蓝盾志愿队", community__code="lili").exists()
    vols = Volunteer.objects.filter(user__username__in=[f"vol{i}" for i in range(1, 6)])
    assert vols.count() == 5 and all(v.status == "approved" and v.position_fresh() for v in vols)
    min_lat, min_lng, max_lat, max_lng = demo_bounds()
    assert all(min_lat <= v.latitude <= max_lat and min_lng <= v.longitude <= max_lng for v in vols)
    assert Volunteer.objects.get(user__username="vol1").is_team_leader
    assert set(Volunteer.objects.filter(status="pending").values_list("user__username", flat=True)) == {
        "applicant1",
        "applicant2",
    }
    # Dispatch finds a gas-safety and an electrician volunteer near grid1's grid.
    gas = selectors.volunteer_candidates(latitude=30.905, longitude=120.805, radius_m=3000, skill_slug="gas-safety")
    power = selectors.volunteer_candidates(latitude=30.905, longitude=120.805, radius_m=3000, skill_slug="electrician")
    assert gas[0].user.username == "vol1" and power[0].user.username == "vol2"
    assert ServiceRecord.objects.filter(status="pending", volunteer__user__username="vol2").count() == 1


def test_seed_scale_bulk_creates_on_duty_volunteers(django_assert_max_num_queries):
    ctx = DemoContext(log=lambda msg: None)
    seed_accounts(ctx)
    seed_geography(ctx)
    demo.seed(ctx)
    before = Volunteer.objects.count()
    stream = io.StringIO()
    with django_assert_max_num_queries(40):
        demo.seed_scale(ctx, 120, lambda label, total: ProgressBar(label, total, stream=stream))
    assert Volunteer.objects.count() == before + 120 and "100%" in stream.getvalue()
    scaled = Volunteer.objects.filter(user__username__startswith="scale-vol-")
    assert scaled.filter(on_duty=True, status="approved").count() == 120
    assert all(v.skill_links.exists() for v in scaled[:10])
    demo.seed_scale(ctx, 120, lambda label, total: ProgressBar(label, total, stream=io.StringIO()))
    assert Volunteer.objects.count() == before + 120  # idempotent: ensures n, does not add n again
    assert len(selectors.volunteer_candidates(latitude=30.92, longitude=120.83, radius_m=50_000)) >= 120
