"""Deduplication under concurrency, against PostgreSQL with real threads: 20 simultaneous first
alerts of one new sensor make one sensor and one hazard; a raise racing a clear leaves a
consistent sensor (its open hazard is open, or it has none)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from govern.models import ApiClient
from hazards.models import Hazard, Status
from hazards.premises.alerts.services import alert_receive
from hazards.premises.models import AlertEvent, PremisesHazard, Sensor
from tests.premises.alerts_fixtures import *  # noqa: F403 (the fixtures)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def run_together(n: int, work) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def one(i: int):
        try:
            barrier.wait(timeout=20)
            outcome = work(i)
            with lock:
                results.append(outcome.event.kind)
        except Exception as exc:  # collected: the assertion below shows what went wrong
            with lock:
                results.append(f"error:{type(exc).__name__}:{exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_twenty_concurrent_raises_for_one_new_sensor_make_one_hazard(enterprise, sensor_key):
    client = ApiClient.objects.get(enterprise_key__premises=enterprise)
    results = run_together(
        20,
        lambda i: alert_receive(
            api_client=client, sensor_id="BRG-07", metric="temperature", value=85 + i, threshold=80
        ),
    )
    assert sorted(results) == ["raise"] + ["update"] * 19, results
    assert Sensor.objects.count() == 1
    assert Hazard.objects.count() == 1 and PremisesHazard.objects.count() == 1
    assert AlertEvent.objects.count() == 20
    sensor = Sensor.objects.get()
    assert sensor.open_hazard_id == Hazard.objects.get().pk and sensor.alert_count == 20
    assert Hazard.objects.get().severity == "critical"  # the worst reading (104: 30 % over) won


def test_raises_racing_clears_leave_a_consistent_sensor(enterprise, sensor_key):
    client = ApiClient.objects.get(enterprise_key__premises=enterprise)
    alert_receive(api_client=client, sensor_id="BRG-07", metric="temperature", value=85, threshold=80)
    results = run_together(
        12,
        lambda i: alert_receive(
            api_client=client, sensor_id="BRG-07", metric="temperature", value=90 if i % 2 else 70, threshold=80
        ),
    )
    assert not [r for r in results if r.startswith("error")], results
    sensor = Sensor.objects.get()
    open_hazards = Hazard.objects.exclude(status__in=[Status.CLOSED, Status.REJECTED, Status.DUPLICATE])
    assert open_hazards.count() <= 1
    if sensor.open_hazard_id:
        assert list(open_hazards.values_list("pk", flat=True)) == [sensor.open_hazard_id]
    else:
        assert not open_hazards.exists()
    assert AlertEvent.objects.count() == 13


def test_several_sensors_on_one_merged_hazard_going_normal_at_once_close_it_exactly_once(enterprise, sensor_key):
    """Four sensors' hazards merged into the first: all four read normal at the same moment. Each
    checks for other followers under the surviving hazard's lock, so three let go and the last
    one closes it, whatever the order."""
    from govern.roles import DISPATCHER
    from hazards.triage.services import hazard_triage
    from tests.factories import UserFactory

    client = ApiClient.objects.get(enterprise_key__premises=enterprise)
    hazards = [
        alert_receive(api_client=client, sensor_id=f"BRG-0{i}", metric="temperature", value=85, threshold=80).hazard
        for i in range(4)
    ]
    dispatcher = UserFactory(roles=[DISPATCHER])
    for merged in hazards[1:]:
        hazard_triage(hazard_id=merged.pk, actor=dispatcher, decision="duplicate", duplicate_of=hazards[0].pk)
    results = run_together(
        4,
        lambda i: alert_receive(api_client=client, sensor_id=f"BRG-0{i}", metric="temperature", value=60, threshold=80),
    )
    assert sorted(results) == ["clear", "release", "release", "release"], results
    assert Hazard.objects.get(pk=hazards[0].pk).status == Status.CLOSED
    assert not Sensor.objects.filter(open_hazard__isnull=False).exists()
