"""Retention: the beat job and the management command prune a prefix of the outbox and raise the
prune mark, and the replay rules answer resync exactly when a position fell below it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, current_event_id, grid_topic, pruned_through, publish
from govern.live_access import read_after
from govern.live_services import live_events_prune
from govern.models import LiveEvent, LiveEventTopic

pytestmark = pytest.mark.django_db


def _events(n, topics=(DISPATCH_TOPIC,), age_days=0):
    ids = [publish(list(topics), "hazard.created", {"n": i}).pk for i in range(n)]
    if age_days:
        LiveEvent.objects.filter(id__in=ids).update(created_at=timezone.now() - timedelta(days=age_days))
    return ids


def test_prune_deletes_only_events_older_than_the_window_and_raises_the_mark(settings):
    settings.LIVE_EVENT_RETENTION = timedelta(days=7)
    old = _events(3, topics=(DISPATCH_TOPIC, grid_topic(1)), age_days=8)
    recent = _events(2, age_days=6)
    assert live_events_prune() == 3
    assert list(LiveEvent.objects.values_list("id", flat=True)) == recent
    assert not LiveEventTopic.objects.filter(event_id__in=old).exists()
    assert pruned_through() == old[-1]
    assert live_events_prune() == 0  # idempotent
    assert pruned_through() == old[-1]


def test_prune_removes_a_prefix_even_when_clocks_disagree():
    """An expired event above a fresher one (publishers on machines whose clocks differ): the
    fresher one goes too, so that what remains is exactly "every event after the mark"."""
    a, b, c = _events(3)
    LiveEvent.objects.filter(pk=b).update(created_at=timezone.now() - timedelta(days=30))
    assert live_events_prune() == 2
    assert list(LiveEvent.objects.values_list("id", flat=True)) == [c]
    assert pruned_through() == b


def test_prune_works_in_batches():
    _events(7, age_days=30)
    assert live_events_prune(batch_size=3) == 7
    assert not LiveEvent.objects.exists()


def test_the_mark_never_moves_back_and_keeps_answering_when_the_table_is_empty():
    ids = _events(2, age_days=30)
    live_events_prune()
    assert LiveEvent.objects.count() == 0
    assert current_event_id() == ids[-1]  # a page rendered now resumes from the mark
    live_events_prune()
    assert pruned_through() == ids[-1]


def test_resync_rules():
    old = _events(3, age_days=30)
    kept = _events(2)
    live_events_prune()
    topics = {DISPATCH_TOPIC}
    assert read_after(topics, old[0]).resync  # below the mark: may have missed pruned events
    batch = read_after(topics, old[-1])  # at the mark: nothing was lost
    assert not batch.resync and [m["id"] for m in batch.events] == kept and batch.head == kept[-1]
    assert not read_after(topics, kept[-1]).resync
    assert read_after(topics, kept[-1] + 1).resync  # a position from another history
    assert read_after(topics, kept[0], limit=0).resync  # more than the limit
    assert read_after({grid_topic(9)}, old[-1]).events == []


def test_a_fresh_install_replays_from_zero_without_resync():
    assert not read_after({DISPATCH_TOPIC}, 0).resync
    ids = _events(2)
    assert [m["id"] for m in read_after({DISPATCH_TOPIC}, 0).events] == ids


def test_management_command_for_embedded_mode(capsys):
    ids = _events(4, age_days=10)
    call_command("prune_live_events")
    out = capsys.readouterr().out
    assert "Pruned 4 live event(s)" in out and f"after #{ids[-1]}" in out
    assert not LiveEvent.objects.exists()


def test_beat_runs_the_prune_task_hourly():
    from govern.tasks import prune_live_events

    entry = settings.CELERY_BEAT_SCHEDULE["prune-live-events"]
    assert entry["task"] == prune_live_events.name == "govern.tasks.prune_live_events"
    assert entry["schedule"] == timedelta(hours=1)
    _events(2, age_days=30)
    assert prune_live_events.delay().get() == 2
