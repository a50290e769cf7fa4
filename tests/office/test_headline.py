"""The dashboard's headline numbers: open hazards, overdue tasks, fixed this week, satisfaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from govern.office.selectors.headline import headline, week_start
from hazards.models import Hazard, Status
from tests.factories import UserFactory, make_grid
from tests.office.conftest import rectify, task_at

pytestmark = pytest.mark.django_db


def _local(moment) -> str:
    """A moment as tests.office.conftest.at reads it (site time, to the microsecond)."""
    return timezone.localtime(moment).replace(tzinfo=None).isoformat(sep=" ")


def test_headline_counts_what_is_open_late_and_fixed_now(hazard_at, client, dispatcher, django_assert_max_num_queries):
    grid = make_grid(west=120.80, south=30.90)
    now = timezone.now()
    monday = week_start(now)
    this_week = monday + (now - monday) / 2  # between Monday 00:00 and now, whenever the test runs
    critical = hazard_at(grid, _local(monday - timedelta(days=3)), severity="critical")
    fixed_now = hazard_at(grid, _local(monday - timedelta(days=2)))
    rectify(fixed_now, _local(monday - timedelta(days=2)), _local(this_week))
    fixed_before = hazard_at(grid, _local(monday - timedelta(days=9)))
    rectify(fixed_before, _local(monday - timedelta(days=9)), _local(monday - timedelta(days=8)))
    closed = hazard_at(grid, _local(monday - timedelta(days=1)))
    Hazard.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    day = _local(monday - timedelta(days=3))
    task_at(critical, UserFactory(), day, accepted=day, due=_local(monday - timedelta(days=2)), overdue=True)
    task_at(fixed_now, UserFactory(), day, accepted=day, due=_local(now + timedelta(days=1)))

    with django_assert_max_num_queries(4):
        figures = headline(now=now)
    # Open: the critical one and the two rectified ones waiting for their check; not the closed one.
    assert (figures.open, figures.open_critical) == (3, 1)
    assert figures.overdue == 1
    assert figures.fixed_this_week == 1  # fixed_before was rectified the week before
    assert figures.satisfaction is None  # no resident has rated a fix
    client.force_login(dispatcher)
    html = client.get("/office/dashboard/").content.decode()
    assert 'data-k="open">3<' in html and 'data-k="overdue">1<' in html and 'data-k="fixed">1<' in html
    assert "居民尚未评价" in html
