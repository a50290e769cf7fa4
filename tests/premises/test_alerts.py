"""Sensor alerts (issue 12): deduplication, auto-clear, severity rules, live events, heat map."""

from __future__ import annotations

import pytest

from govern.live import DISPATCH_TOPIC, grid_topic, user_topic
from govern.models import LiveEvent
from govern.office.heatmap import grid_risk
from hazards.models import Hazard, HazardEvent, Source, Status
from hazards.premises.alerts.rules import severity_for
from hazards.premises.alerts.services import alert_receive
from hazards.premises.models import AlertDirection, AlertEvent, AlertKind, AlertRule, PremisesHazard, Sensor
from tests.premises.alerts_fixtures import *  # noqa: F403 (the fixtures)
from tests.premises.alerts_fixtures import alert

pytestmark = pytest.mark.django_db


def test_first_alert_creates_one_sensor_hazard_linked_to_the_enterprise(sensor_api, enterprise):
    response = alert(sensor_api, message="2号轧机轴承温度高")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "raise" and body["severity"] == "medium" and body["sensor_id"] == "BRG-07"
    hazard = Hazard.objects.get()
    assert body["hazard"] == {
        "id": hazard.pk,
        "tracking_code": hazard.tracking_code,
        "status": "submitted",
        "severity": hazard.severity,
    }
    assert hazard.source == Source.SENSOR and hazard.reporter is None and hazard.grid_id == enterprise.grid_id
    assert (hazard.latitude, hazard.longitude) == (enterprise.latitude, enterprise.longitude)
    assert "BRG-07" in hazard.description and "2号轧机轴承温度高" in hazard.description
    assert hazard.category.slug == "other"  # no rule for temperature: the default category
    link = PremisesHazard.objects.get(hazard=hazard)
    assert link.premises_id == enterprise.pk and link.origin == "sensor"
    sensor = Sensor.objects.get()
    assert sensor.open_hazard_id == hazard.pk and sensor.auto_registered and sensor.metric == "temperature"
    event = AlertEvent.objects.get()
    assert (event.id, event.kind, event.value, event.threshold, event.hazard_id) == (
        body["id"],
        "raise",
        85,
        80,
        hazard.pk,
    )


def test_repeated_raises_update_the_one_open_hazard_and_keep_every_alert(sensor_api):
    first = alert(sensor_api, value=85)
    assert first.status_code == 201
    codes = set()
    for value in (86, 84, 87, 99, 95):  # 99 is 23.75 % over: high
        response = alert(sensor_api, value=value)
        assert response.status_code == 200, response.content
        assert response.json()["kind"] == "update"
        codes.add(response.json()["hazard"]["tracking_code"])
    assert codes == {first.json()["hazard"]["tracking_code"]}
    assert Hazard.objects.count() == 1 and PremisesHazard.objects.count() == 1
    assert AlertEvent.objects.count() == 6
    assert list(AlertEvent.objects.order_by("id").values_list("kind", flat=True)) == ["raise"] + ["update"] * 5
    hazard = Hazard.objects.get()
    assert hazard.severity == "high"  # raised by the worse reading, not lowered by the later 95
    # One timeline note for the raise in severity, not one per alert.
    notes = HazardEvent.objects.filter(hazard=hazard, from_status=Status.SUBMITTED, to_status=Status.SUBMITTED)
    assert notes.count() == 1 and "99" in notes.get().note
    assert Sensor.objects.get().alert_count == 6


def test_two_sensors_get_two_hazards(sensor_api):
    a = alert(sensor_api, sensor_id="BRG-07")
    b = alert(sensor_api, sensor_id="BRG-08")
    assert a.status_code == b.status_code == 201
    assert a.json()["hazard"]["id"] != b.json()["hazard"]["id"]
    assert Sensor.objects.count() == 2


def test_a_normal_value_closes_the_hazard_keeping_history_and_the_next_raise_opens_a_new_one(sensor_api, dispatcher):
    raised = alert(sensor_api, value=92)
    hazard_id = raised.json()["hazard"]["id"]
    alert(sensor_api, value=95)
    cleared = alert(sensor_api, value=70, message="已恢复")
    assert cleared.status_code == 200
    assert cleared.json()["kind"] == "clear" and cleared.json()["hazard"]["status"] == "closed"
    assert cleared.json()["severity"] is None
    hazard = Hazard.objects.get(pk=hazard_id)
    assert hazard.status == Status.CLOSED
    closing = HazardEvent.objects.filter(hazard=hazard).last()
    assert (closing.from_status, closing.to_status, closing.actor) == ("submitted", "closed", None)
    assert "BRG-07" in closing.note and "已恢复" in closing.note
    assert Sensor.objects.get().open_hazard is None
    # history kept: the hazard, its events, every alert
    assert list(AlertEvent.objects.order_by("id").values_list("kind", "hazard_id")) == [
        ("raise", hazard_id),
        ("update", hazard_id),
        ("clear", hazard_id),
    ]
    again_normal = alert(sensor_api, value=60)
    assert (
        again_normal.status_code == 200
        and again_normal.json()["kind"] == "normal"
        and again_normal.json()["hazard"] is None
    )
    reraised = alert(sensor_api, value=90)
    assert reraised.status_code == 201 and reraised.json()["hazard"]["id"] != hazard_id
    assert Hazard.objects.count() == 2 and Hazard.objects.filter(status=Status.CLOSED).count() == 1
    assert PremisesHazard.objects.count() == 2


def test_a_value_equal_to_the_threshold_is_normal(sensor_api):
    assert alert(sensor_api, value=80).json()["kind"] == "normal"
    assert not Hazard.objects.exists()


def test_an_explicit_clear_closes_whatever_the_value(sensor_api):
    alert(sensor_api, value=92)
    cleared = alert(sensor_api, value=92, clear=True)
    assert cleared.json()["kind"] == "clear" and Hazard.objects.get().status == Status.CLOSED
    assert alert(sensor_api, value=92, clear="maybe").status_code == 400


def test_auto_clear_works_from_any_open_status_and_withdraws_live_tasks(sensor_api, dispatcher, grid_worker):
    from hazards.dispatch.services import task_dispatch
    from hazards.models import Task, TaskStatus
    from hazards.triage.services import hazard_triage

    hazard_id = alert(sensor_api, value=92).json()["hazard"]["id"]
    hazard_triage(hazard_id=hazard_id, actor=dispatcher, decision="accept")
    task_dispatch(hazard_id=hazard_id, actor=dispatcher, assignee_id=grid_worker.pk)
    assert Hazard.objects.get(pk=hazard_id).status == Status.DISPATCHED
    assert alert(sensor_api, value=75).json()["kind"] == "clear"
    assert Hazard.objects.get(pk=hazard_id).status == Status.CLOSED
    task = Task.objects.get(hazard_id=hazard_id)
    assert task.status == TaskStatus.CANCELLED and "BRG-07" in task.reason


def test_a_hazard_a_dispatcher_closed_or_rejected_is_not_reused(sensor_api, dispatcher):
    from hazards.triage.services import hazard_triage

    first = alert(sensor_api, value=92).json()["hazard"]["id"]
    hazard_triage(hazard_id=first, actor=dispatcher, decision="reject", note="误报 false alarm")
    again = alert(sensor_api, value=93)
    assert again.status_code == 201 and again.json()["hazard"]["id"] != first
    assert Sensor.objects.get().open_hazard_id == again.json()["hazard"]["id"]


def test_people_still_cannot_close_an_unverified_hazard(sensor_api, dispatcher):
    from govern.errors import Conflict
    from hazards.core.lifecycle import hazard_transition

    hazard_id = alert(sensor_api, value=92).json()["hazard"]["id"]
    with pytest.raises(Conflict):
        hazard_transition(hazard_id=hazard_id, actor=dispatcher, to_status=Status.CLOSED)


# --- severity rules ---------------------------------------------------------------------------------


def test_severity_bands_of_the_default_and_of_rules(enterprise, categories):
    assert severity_for(rule=None, value=81, threshold=80) == "medium"
    assert severity_for(rule=None, value=88, threshold=80) == "high"  # 10 %
    assert severity_for(rule=None, value=100, threshold=80) == "critical"  # 25 %
    rule = AlertRule(
        metric="gas_ppm",
        category=categories["gas-safety"],
        severity="low",
        high_over_percent=50,
        critical_over_percent=None,
    )
    assert severity_for(rule=rule, value=120, threshold=100) == "low"
    assert severity_for(rule=rule, value=1000, threshold=100) == "high"
    zero = AlertRule(
        metric="leak", category=categories["other"], severity="medium", high_over_percent=10, critical_over_percent=25
    )
    assert severity_for(rule=zero, value=0.1, threshold=0) == "critical"


def test_the_enterprise_rule_wins_over_the_district_rule_and_picks_the_category(sensor_api, enterprise, categories):
    AlertRule.objects.create(
        metric="gas_ppm",
        category=categories["other"],
        severity="low",
        high_over_percent=None,
        critical_over_percent=None,
    )
    AlertRule.objects.create(
        premises=enterprise,
        metric="gas_ppm",
        category=categories["hazardous-chemicals"],
        severity="high",
        high_over_percent=None,
        critical_over_percent=10,
    )
    body = alert(sensor_api, sensor_id="GAS-1", metric="gas_ppm", value=115, threshold=100).json()
    assert body["severity"] == "critical"
    hazard = Hazard.objects.get()
    assert hazard.category.slug == "hazardous-chemicals" and hazard.severity == "critical"


def test_a_below_rule_alarms_under_the_threshold_and_clears_above_it(sensor_api, categories):
    AlertRule.objects.create(
        metric="oxygen_percent",
        category=categories["hazardous-chemicals"],
        direction=AlertDirection.BELOW,
        severity="high",
        high_over_percent=None,
        critical_over_percent=10,
    )
    low = alert(sensor_api, sensor_id="O2-1", metric="oxygen_percent", value=17.5, threshold=19.5)
    assert low.status_code == 201 and low.json()["severity"] == "critical"  # 10.3 % below
    ok = alert(sensor_api, sensor_id="O2-1", metric="oxygen_percent", value=20.9, threshold=19.5)
    assert ok.json()["kind"] == "clear"


def test_an_inactive_rule_falls_back_to_the_default(sensor_api, categories):
    AlertRule.objects.create(
        metric="temperature", category=categories["fire-equipment"], severity="critical", active=False
    )
    assert alert(sensor_api, value=81).json()["severity"] == "medium"
    assert Hazard.objects.get().category.slug == "other"


def test_a_sensor_keeps_its_metric(sensor_api):
    alert(sensor_api, value=92)
    other = alert(sensor_api, metric="vibration", value=9, threshold=5)
    assert other.status_code == 400 and "metric" in other.json()["errors"]
    assert AlertEvent.objects.count() == 1 and Sensor.objects.count() == 1


# --- live ---------------------------------------------------------------------------------------------


def test_live_events_reach_dispatchers_the_grid_and_the_safety_officer(sensor_api, enterprise, officer):
    alert(sensor_api, value=85)
    hazard = Hazard.objects.get()
    created = LiveEvent.objects.get(type="hazard.created")
    assert {DISPATCH_TOPIC, grid_topic(enterprise.grid_id)} <= set(created.topics)
    raised = LiveEvent.objects.filter(type="sensor.alert").get()
    assert set(raised.topics) == {DISPATCH_TOPIC, grid_topic(enterprise.grid_id), user_topic(officer.pk)}
    assert raised.data["kind"] == "raise" and raised.data["hazard"]["tracking_code"] == hazard.tracking_code
    assert (
        raised.data["sensor_id"] == "BRG-07" and raised.data["value"] == 85 and raised.data["premises"] == enterprise.pk
    )

    alert(sensor_api, value=86)  # same severity: only the safety officer hears of it
    quiet = LiveEvent.objects.filter(type="sensor.alert").order_by("-id").first()
    assert quiet.topics == [user_topic(officer.pk)] and quiet.data["kind"] == "update"

    alert(sensor_api, value=99)  # worse: everyone again, and the board sees the new severity
    worse = LiveEvent.objects.filter(type="sensor.alert").order_by("-id").first()
    assert set(worse.topics) == {DISPATCH_TOPIC, grid_topic(enterprise.grid_id), user_topic(officer.pk)}
    severity = LiveEvent.objects.filter(type="hazard.status_changed").get()
    assert severity.data["severity"] == "high" and severity.data["from"] == severity.data["to"] == "submitted"

    alert(sensor_api, value=70)
    cleared = LiveEvent.objects.filter(type="sensor.alert").order_by("-id").first()
    assert (
        cleared.data["kind"] == "clear"
        and user_topic(officer.pk) in cleared.topics
        and DISPATCH_TOPIC in cleared.topics
    )
    closed = LiveEvent.objects.filter(type="hazard.status_changed").order_by("-id").first()
    assert closed.data["to"] == "closed" and DISPATCH_TOPIC in closed.topics

    published = LiveEvent.objects.count()
    alert(sensor_api, value=65)  # normal, nothing open: history only
    assert LiveEvent.objects.count() == published and AlertEvent.objects.order_by("-id").first().kind == "normal"
    alert(sensor_api, value=90)
    alert(sensor_api, value=86)  # milder than the hazard (high): the officer hears, the duty room does not
    assert LiveEvent.objects.filter(type="sensor.alert").order_by("-id").first().topics == [user_topic(officer.pk)]


# --- heat map -------------------------------------------------------------------------------------------


def test_the_open_sensor_hazard_counts_in_the_heat_map_until_cleared(sensor_api, enterprise):
    def risk():
        return {g.id: g for g in grid_risk()}[enterprise.grid_id]

    assert risk().unfixed == 0
    alert(sensor_api, value=100)  # 25 % over: critical
    assert risk().unfixed == 1 and risk().by_severity.get("critical") == 1 and risk().score == 8
    alert(sensor_api, value=101)
    assert risk().unfixed == 1  # deduplicated on the map too
    alert(sensor_api, value=50)
    assert risk().unfixed == 0


# --- the service directly ----------------------------------------------------------------------------


def test_the_service_refuses_a_non_enterprise_client(enterprise):
    from govern.api_keys import api_client_issue
    from govern.errors import PermissionDenied

    client, _raw = api_client_issue(name="open311 app")
    with pytest.raises(PermissionDenied):
        alert_receive(api_client=client, sensor_id="X", metric="temperature", value=1, threshold=0)
    assert not Sensor.objects.exists()


def test_kinds_are_the_documented_ones():
    assert set(AlertKind.values) == {"raise", "update", "hold", "clear", "release", "normal"}
