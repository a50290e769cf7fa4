"""Sensor alerts: the clear band (hysteresis) and following a hazard a dispatcher merged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings

from govern.live import DISPATCH_TOPIC, user_topic
from govern.models import ApiClient, LiveEvent
from hazards.models import Hazard, HazardEvent, Source, Status
from hazards.premises.alerts.rules import is_cleared
from hazards.premises.alerts.services import alert_receive
from hazards.premises.models import AlertDirection, AlertEvent, AlertKind, AlertRule, PremisesHazard, Sensor
from hazards.reports.services import hazard_report
from hazards.triage.services import hazard_triage
from tests.factories import UserFactory
from tests.premises.alerts_fixtures import *  # noqa: F403 (the fixtures)
from tests.premises.alerts_fixtures import INSIDE, alert

pytestmark = pytest.mark.django_db


def kinds() -> list[str]:
    return list(AlertEvent.objects.order_by("id").values_list("kind", flat=True))


def dispatch_alerts() -> int:
    return sum(1 for e in LiveEvent.objects.filter(type="sensor.alert") if DISPATCH_TOPIC in e.topics)


# --- hysteresis -----------------------------------------------------------------------------------


def test_a_value_flapping_around_the_threshold_makes_exactly_one_hazard(sensor_api, officer):
    responses = [alert(sensor_api, value=v) for v in (80.1, 79.9, 80.1, 79.9, 80.1, 79.9, 80.1, 79.9)]
    assert [r.status_code for r in responses] == [201] + [200] * 7
    assert kinds() == ["raise", "hold", "update", "hold", "update", "hold", "update", "hold"]
    hazard = Hazard.objects.get()
    assert hazard.status == Status.SUBMITTED and PremisesHazard.objects.count() == 1
    assert {r.json()["hazard"]["id"] for r in responses} == {hazard.pk}
    held = responses[1].json()
    assert held["kind"] == "hold" and held["severity"] is None and held["hazard"]["status"] == "submitted"
    sensor = Sensor.objects.get()
    assert sensor.open_hazard_id == hazard.pk and sensor.alert_count == 8 and sensor.last_value == 79.9
    # The duty room heard of the raise only; the officer of every reading about the open condition.
    assert dispatch_alerts() == 1
    assert LiveEvent.objects.filter(type="sensor.alert").count() == 8
    assert all(user_topic(officer.pk) in e.topics for e in LiveEvent.objects.filter(type="sensor.alert"))
    # History only: no timeline note, no status change.
    assert list(HazardEvent.objects.filter(hazard=hazard).values_list("to_status", flat=True)) == ["submitted"]


def test_the_hazard_clears_once_the_value_leaves_the_band(sensor_api):
    hazard_id = alert(sensor_api, value=85).json()["hazard"]["id"]
    for value in (80, 78, 76.01):  # threshold 80, default 5 %: the band is (76, 80]
        assert alert(sensor_api, value=value).json()["kind"] == "hold"
    assert Hazard.objects.get(pk=hazard_id).status == Status.SUBMITTED
    cleared = alert(sensor_api, value=76)  # exactly at the edge clears
    assert cleared.json()["kind"] == "clear" and cleared.json()["hazard"]["status"] == "closed"
    assert Sensor.objects.get().open_hazard is None
    # Nothing open: a reading in the band is plain normal, and the next abnormal one opens a new hazard.
    assert alert(sensor_api, value=79).json()["kind"] == "normal"
    assert alert(sensor_api, value=81).status_code == 201 and Hazard.objects.count() == 2


def test_an_explicit_clear_inside_the_band_clears_at_once(sensor_api):
    alert(sensor_api, value=85)
    assert alert(sensor_api, value=79.5).json()["kind"] == "hold"
    cleared = alert(sensor_api, value=79.5, clear=True)
    assert cleared.json()["kind"] == "clear" and Hazard.objects.get().status == Status.CLOSED


def test_a_rule_sets_its_own_margin_and_zero_turns_the_band_off(sensor_api, categories):
    rule = AlertRule.objects.create(metric="temperature", category=categories["other"], clear_margin_percent=10)
    alert(sensor_api, value=85)
    assert alert(sensor_api, value=72.5).json()["kind"] == "hold"  # 10 % of 80: clears at 72
    assert alert(sensor_api, value=72).json()["kind"] == "clear"
    rule.clear_margin_percent = 0
    rule.save()
    alert(sensor_api, value=85)
    assert alert(sensor_api, value=80).json()["kind"] == "clear"  # no band: back within the threshold clears


def test_a_below_rule_mirrors_the_band(sensor_api, categories):
    AlertRule.objects.create(
        metric="oxygen_percent", category=categories["hazardous-chemicals"], direction=AlertDirection.BELOW
    )
    o2 = {"sensor_id": "O2-1", "metric": "oxygen_percent", "threshold": 20}
    assert alert(sensor_api, value=18, **o2).status_code == 201
    assert alert(sensor_api, value=20.5, **o2).json()["kind"] == "hold"  # clears at 20 + 5 % = 21
    assert alert(sensor_api, value=21, **o2).json()["kind"] == "clear"


def test_the_band_is_a_share_of_the_thresholds_size_for_negative_thresholds():
    # A freezer alarming above -10 °C: clears at -10.5 or colder, not at -9.5.
    assert not is_cleared(value=-10.2, threshold=-10, direction=AlertDirection.ABOVE, margin_percent=5)
    assert is_cleared(value=-10.5, threshold=-10, direction=AlertDirection.ABOVE, margin_percent=5)
    assert is_cleared(value=0, threshold=0, direction=AlertDirection.ABOVE, margin_percent=5)  # zero: no band


def test_the_district_default_margin_comes_from_the_setting(sensor_api):
    with override_settings(ALERTS_CLEAR_MARGIN_PERCENT=0):
        alert(sensor_api, value=80.1)
        assert alert(sensor_api, value=79.9).json()["kind"] == "clear"
    with override_settings(ALERTS_CLEAR_MARGIN_PERCENT=80), pytest.raises(ImproperlyConfigured):
        alert_receive(
            api_client=ApiClient.objects.get(), sensor_id="BRG-07", metric="temperature", value=85, threshold=80
        )
        alert_receive(
            api_client=ApiClient.objects.get(), sensor_id="BRG-07", metric="temperature", value=79, threshold=80
        )


@pytest.mark.parametrize("margin", [-1, 50.5, 100])
def test_a_rules_margin_is_validated_from_0_to_50(categories, margin):
    rule = AlertRule(metric="temperature", category=categories["other"], clear_margin_percent=margin)
    with pytest.raises(ValidationError) as info:
        rule.full_clean()
    assert "clear_margin_percent" in info.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        rule.save()  # and the database refuses it too


@pytest.mark.parametrize("margin", [None, 0, 50])
def test_margins_0_to_50_or_empty_are_accepted(categories, margin):
    rule = AlertRule(metric="temperature", category=categories["other"], clear_margin_percent=margin)
    rule.full_clean()
    rule.save()


def test_the_admin_edits_the_margin(client, categories):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    form = {
        "metric": "temperature",
        "category": categories["other"].pk,
        "direction": "above",
        "severity": "medium",
        "high_over_percent": "10",
        "critical_over_percent": "25",
        "active": "on",
        "clear_margin_percent": "60",
    }
    response = client.post("/admin/premises/alertrule/add/", form)
    assert response.status_code == 200 and not AlertRule.objects.exists()  # the form shows the error
    assert "clear_margin_percent" in response.context["adminform"].form.errors
    form["clear_margin_percent"] = "7.5"
    assert client.post("/admin/premises/alertrule/add/", form).status_code == 302
    assert AlertRule.objects.get().clear_margin_percent == 7.5


# --- following a merge ------------------------------------------------------------------------------


@pytest.fixture
def resident_report(grid, categories):
    resident = UserFactory()
    return hazard_report(
        reporter=resident,
        category_slug="other",
        description="门口地面有积水 puddle at the gate",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        photos=[],
        photos_required=False,
        severity="low",
    ).hazard


def merge(hazard_id: int, into: Hazard, dispatcher) -> Hazard:
    return hazard_triage(hazard_id=hazard_id, actor=dispatcher, decision="duplicate", duplicate_of=into.pk)


def test_a_sensor_follows_its_hazard_merged_into_a_residents_report(sensor_api, dispatcher, resident_report):
    own = alert(sensor_api, value=85).json()["hazard"]["id"]
    merge(own, resident_report, dispatcher)
    resident_report.refresh_from_db()
    assert resident_report.severity == "low"

    repeat = alert(sensor_api, value=104)  # 30 % over: critical
    assert repeat.status_code == 200 and repeat.json()["kind"] == "update"
    assert repeat.json()["hazard"]["id"] == resident_report.pk
    resident_report.refresh_from_db()
    assert resident_report.severity == "critical" and resident_report.status == Status.SUBMITTED
    assert Hazard.objects.count() == 2  # no new hazard
    assert Sensor.objects.get().open_hazard_id == own  # still names its own (merged) hazard
    assert alert(sensor_api, value=79).json()["kind"] == "hold"

    # Back to normal: the resident's report is not closed by the sensor; the sensor lets it go.
    released = alert(sensor_api, value=70)
    assert released.json()["kind"] == "release" and released.json()["hazard"]["id"] == resident_report.pk
    assert released.json()["hazard"]["status"] == "submitted"
    resident_report.refresh_from_db()
    assert resident_report.status == Status.SUBMITTED
    assert Sensor.objects.get().open_hazard is None
    last = LiveEvent.objects.filter(type="sensor.alert").order_by("-id").first()
    assert last.data["kind"] == "release" and DISPATCH_TOPIC in last.topics
    # The condition comes back: a new hazard (the dispatcher may merge it again).
    again = alert(sensor_api, value=90)
    assert again.status_code == 201 and again.json()["hazard"]["id"] not in (own, resident_report.pk)


def test_an_explicit_clear_after_a_merge_releases_and_does_not_close(sensor_api, dispatcher, resident_report):
    own = alert(sensor_api, value=85).json()["hazard"]["id"]
    merge(own, resident_report, dispatcher)
    cleared = alert(sensor_api, value=85, clear=True)
    assert cleared.json()["kind"] == "release"
    resident_report.refresh_from_db()
    assert resident_report.status == Status.SUBMITTED


def test_a_sensor_follows_a_merge_into_another_sensors_hazard(sensor_api, dispatcher):
    kept = alert(sensor_api, sensor_id="BRG-08", value=85).json()["hazard"]["id"]
    merged = alert(sensor_api, sensor_id="BRG-07", value=85).json()["hazard"]["id"]
    merge(merged, Hazard.objects.get(pk=kept), dispatcher)

    repeat = alert(sensor_api, sensor_id="BRG-07", value=99)  # high
    assert repeat.json()["kind"] == "update" and repeat.json()["hazard"]["id"] == kept
    assert Hazard.objects.get(pk=kept).severity == "high" and Hazard.objects.count() == 2
    # The OneToOne holds: each sensor still names its own hazard.
    assert dict(Sensor.objects.values_list("sensor_id", "open_hazard_id")) == {"BRG-07": merged, "BRG-08": kept}

    assert alert(sensor_api, sensor_id="BRG-07", value=60).json()["kind"] == "release"
    assert Hazard.objects.get(pk=kept).status == Status.SUBMITTED  # BRG-08 did not go normal
    assert alert(sensor_api, sensor_id="BRG-08", value=60).json()["kind"] == "clear"
    assert Hazard.objects.get(pk=kept).status == Status.CLOSED


def test_a_survivor_closed_or_rejected_is_not_followed(sensor_api, dispatcher, resident_report):
    own = alert(sensor_api, value=85).json()["hazard"]["id"]
    merge(own, resident_report, dispatcher)
    hazard_triage(hazard_id=resident_report.pk, actor=dispatcher, decision="reject", note="不是隐患 not a hazard")
    again = alert(sensor_api, value=86)
    assert again.status_code == 201 and again.json()["hazard"]["id"] not in (own, resident_report.pk)
    assert Sensor.objects.get().open_hazard_id == again.json()["hazard"]["id"]


def test_the_service_follows_a_chain_of_merges(sensor_key, enterprise, dispatcher, resident_report, grid, categories):
    client = ApiClient.objects.get(enterprise_key__premises=enterprise)
    first = alert_receive(api_client=client, sensor_id="BRG-07", metric="temperature", value=85, threshold=80)
    assert first.created and first.event.kind == AlertKind.RAISE
    merge(first.hazard.pk, resident_report, dispatcher)
    # The resident's report itself merged into a later one: follow the chain to its end.
    later = hazard_report(
        reporter=UserFactory(),
        category_slug="other",
        description="同一处冒烟 the same smoke",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        photos=[],
        photos_required=False,
    ).hazard
    Hazard.objects.filter(pk=resident_report.pk).update(status=Status.DUPLICATE, duplicate_of=later)
    outcome = alert_receive(api_client=client, sensor_id="BRG-07", metric="temperature", value=88, threshold=80)
    assert outcome.event.kind == AlertKind.UPDATE and outcome.hazard.pk == later.pk and not outcome.created
    assert outcome.sensor.open_hazard_id == first.hazard.pk
    outcome = alert_receive(api_client=client, sensor_id="BRG-07", metric="temperature", value=50, threshold=80)
    assert outcome.event.kind == AlertKind.RELEASE and outcome.sensor.open_hazard_id is None
    later.refresh_from_db()
    assert later.status == Status.SUBMITTED


def test_a_survivor_this_sensor_raised_is_closed_by_its_clear(sensor_api, dispatcher):
    # Not reachable through alerts alone (a sensor names the hazard it raised until that closes),
    # so set it up by hand: BRG-07 raised A, and names B, merged into A.
    a = alert(sensor_api, sensor_id="BRG-07", value=85).json()["hazard"]["id"]
    b = alert(sensor_api, sensor_id="BRG-08", value=85).json()["hazard"]["id"]
    merge(b, Hazard.objects.get(pk=a), dispatcher)
    Sensor.objects.filter(sensor_id="BRG-08").update(open_hazard=None)
    Sensor.objects.filter(sensor_id="BRG-07").update(open_hazard=b)
    cleared = alert(sensor_api, sensor_id="BRG-07", value=60)
    assert cleared.json()["kind"] == "clear" and Hazard.objects.get(pk=a).status == Status.CLOSED
    assert Hazard.objects.get(pk=a).source == Source.SENSOR


def test_the_sensors_page_shows_the_hazard_a_sensor_was_merged_into(
    client, sensor_api, officer, dispatcher, resident_report
):
    own = alert(sensor_api, value=85).json()["hazard"]["id"]
    merge(own, resident_report, dispatcher)
    client.force_login(officer)
    html = client.get("/sensors/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "merged into" in html and f"/track/{resident_report.tracking_code}/" in html


def test_two_sensors_on_one_merged_hazard_it_stays_open_until_the_last_reads_normal(sensor_api, dispatcher):
    kept = alert(sensor_api, sensor_id="BRG-08", value=85).json()["hazard"]["id"]
    merged = alert(sensor_api, sensor_id="BRG-07", value=85).json()["hazard"]["id"]
    merge(merged, Hazard.objects.get(pk=kept), dispatcher)
    # The sensor that raised the surviving hazard goes normal first: BRG-07 still reads abnormal.
    first = alert(sensor_api, sensor_id="BRG-08", value=60)
    assert first.json()["kind"] == "release" and first.json()["hazard"]["status"] == "submitted"
    assert Hazard.objects.get(pk=kept).status == Status.SUBMITTED
    assert dict(Sensor.objects.values_list("sensor_id", "open_hazard_id")) == {"BRG-07": merged, "BRG-08": None}
    # The last one normal: the condition is over, and the sensor-raised hazard closes.
    last = alert(sensor_api, sensor_id="BRG-07", value=60)
    assert last.json()["kind"] == "clear" and last.json()["hazard"]["id"] == kept
    assert Hazard.objects.get(pk=kept).status == Status.CLOSED
    assert Sensor.objects.filter(open_hazard__isnull=False).count() == 0
