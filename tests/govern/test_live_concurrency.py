"""The live road's ordering guarantee under real concurrency (PostgreSQL, threads with their own
connections): once event N is visible, no event below N becomes visible later. A replaying client
reads "every event after the last one I saw"; a late commit of a lower id would be lost to it.

Each publisher holds its transaction open for a moment after publishing (as a service that
publishes and then commits does), or commits inside a pipeline (as a report does), so without the publish lock a lower id would often commit after
a higher one; the observer reads the table the way a replay does and records any such late id.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from govern.live import publish, publish_many
from govern.models import LiveEvent, LiveEventTopic
from govern.pipeline import atomic_pipelined

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PUBLISHERS = 12
ROUNDS = 8


def _publisher(index: int) -> list[int]:
    ids = []
    try:
        for round_ in range(ROUNDS):
            if round_ % 4 == 3:
                # A report's way: the lock, the events and the COMMIT sent in one message.
                with atomic_pipelined():
                    time.sleep(random.uniform(0, 0.01))  # work before publishing
                    events = publish_many(
                        [
                            (["dispatch"], "test.piped", {"i": index, "r": round_, "k": 0}),
                            ([f"user:{index + 1}"], "test.piped", {"i": index, "r": round_, "k": 1}),
                        ]
                    )
                ids.extend(e.pk for e in events)  # known once the block has its answers
                continue
            with transaction.atomic():
                if round_ % 2:
                    events = publish_many(
                        [
                            (["dispatch", f"user:{index + 1}"], "test.many", {"i": index, "r": round_, "k": 0}),
                            (["dispatch"], "test.many", {"i": index, "r": round_, "k": 1}),
                        ]
                    )
                else:
                    events = [publish(["dispatch"], "test.one", {"i": index, "r": round_})]
                ids.extend(e.pk for e in events)
                time.sleep(random.uniform(0, 0.01))  # work after publishing, before the commit
        return ids
    finally:
        connections.close_all()


def test_no_event_commits_below_one_already_visible():
    stop = threading.Event()
    late: list[tuple[int, int]] = []
    seen: list[int] = []

    def observe():
        newest = 0
        try:
            while not stop.is_set():
                fresh = list(LiveEvent.objects.filter(id__gt=0).exclude(id__in=seen).values_list("id", flat=True))
                late.extend((pk, newest) for pk in fresh if pk < newest)
                seen.extend(fresh)
                newest = max([newest, *fresh])
        finally:
            connections.close_all()

    observer = threading.Thread(target=observe)
    observer.start()
    try:
        with ThreadPoolExecutor(PUBLISHERS) as pool:
            published = [pk for ids in pool.map(_publisher, range(PUBLISHERS)) for pk in ids]
    finally:
        stop.set()
        observer.join()

    assert connection.vendor == "postgresql"
    assert len(published) == len(set(published)) == PUBLISHERS * ROUNDS * 3 // 2
    assert late == [], f"ids that became visible after a higher one: {late[:5]}"
    # Each event's topic rows, exactly its topics.
    rows = sorted(LiveEventTopic.objects.filter(event_id__in=published).values_list("event_id", "topic"))
    expected = sorted((e.pk, t) for e in LiveEvent.objects.filter(pk__in=published) for t in e.topics)
    assert rows == expected


def test_publish_many_returns_events_in_input_order_with_their_stored_fields():
    with transaction.atomic():
        events = publish_many(
            [(["dispatch"], "test.first", {"n": 1}), (["grid:3", "dispatch"], "test.second", {"n": [2, "二"]})]
        )
    assert [e.type for e in events] == ["test.first", "test.second"]
    assert events[0].pk < events[1].pk
    stored = {e.pk: e for e in LiveEvent.objects.filter(pk__in=[e.pk for e in events])}
    for event in events:
        assert event.as_message() == stored[event.pk].as_message()
    assert set(LiveEventTopic.objects.filter(event=events[1]).values_list("topic", flat=True)) == {"grid:3", "dispatch"}
