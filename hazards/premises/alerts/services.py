"""Every write of sensor alerts: issuing enterprise keys and receiving alerts.

`alert_receive` is the one entry for `POST /api/v1/alerts/`. Per sensor, in one transaction
holding the sensor's row lock (sensor → hazard → task, the fixed order):

- beyond the threshold, no open hazard  → a new hazard (`hazard_report`, source sensor, at the
  enterprise's position, no photos) linked to the premises, kind `raise` (201);
- beyond the threshold, an open hazard → the same hazard, its severity raised when the reading is
  worse (a timeline note), kind `update` (200) — no second hazard, however many alerts arrive;
- back inside the threshold by the clear margin (or `clear`), an open hazard → closed through the
  lifecycle (`cleared_by_source`), live tasks withdrawn, kind `clear` (200);
- within the threshold but not yet by the margin (the clear band), an open hazard → nothing
  changes, kind `hold` (200): hysteresis, so a value flapping around the threshold keeps one
  hazard open instead of opening and closing one per reading;
- normal and nothing open → kind `normal` (200), history only.

Clear band: `AlertRule.clear_margin_percent` (empty, or no rule: ALERTS_CLEAR_MARGIN_PERCENT,
5 %) of |threshold|. "Above" rules clear at value ≤ threshold − margin, "below" rules at
value ≥ threshold + margin; a zero threshold has an empty band. `clear: true` clears at once.

Merged hazards: `Sensor.open_hazard` names the hazard the sensor raised. When a dispatcher has
merged it into another (`duplicate`, `duplicate_of`), the sensor follows the chain to the
surviving hazard under its row lock: a repeat updates the survivor (`update`, severity raised as
usual). A normal reading or `clear` closes the survivor when a sensor raised it and no other
sensor still follows it (names it, or a hazard merged into it: still abnormal); otherwise it
releases it (`release`: `open_hazard` emptied, the survivor left open — a resident's report is
never closed by a sensor, and a condition two sensors see ends with the last of them). A
survivor already closed or rejected is not followed: the next abnormal reading opens a new hazard. Resolving here
rather than re-pointing `open_hazard` in the merge keeps the OneToOne (the survivor may be another
sensor's) and the lock order (the merge locks hazards, never sensors).

Every call writes an AlertEvent. `sensor.alert` goes live to the enterprise's safety officer for
every raise, update, hold, clear and release, and to the dispatchers and the grid when it raises,
clears, releases or raises the severity of a hazard (a normal reading with nothing open is
history only).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.api_keys import api_client_issue
from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.models import ApiClient, User
from hazards.core import lifecycle
from hazards.core.lifecycle import hazard_raise_severity, hazard_transition
from hazards.core.locks import lock_hazard
from hazards.dispatch.services import tasks_withdraw_for_hazard
from hazards.models import SEVERITY_RANK, Hazard, Source, Status
from hazards.premises.alerts import conf, events
from hazards.premises.alerts.clean import clean_alert
from hazards.premises.alerts.rules import (
    category_for,
    clear_margin_for,
    is_abnormal,
    is_cleared,
    rule_for,
    severity_for,
)
from hazards.premises.alerts.selectors import ENTERPRISE_TYPE, enterprise_for_client
from hazards.premises.models import AlertDirection, AlertEvent, AlertKind, EnterpriseKey, HazardOrigin, Premises, Sensor
from hazards.premises.policy import can_manage
from hazards.premises.services import premises_link_hazard
from hazards.reports.services import hazard_report

# --- keys ------------------------------------------------------------------------------------------


@transaction.atomic
def enterprise_key_issue(*, premises_id: int, name: str = "", raw_key: str | None = None) -> tuple[EnterpriseKey, str]:
    """A new API key for one enterprise's sensors; returns (key row, raw key — shown once)."""
    premises = Premises.objects.select_related("type").filter(pk=premises_id).first()
    if premises is None:
        raise InvalidInput(_("No premises with this id."), field="premises")
    if premises.type.slug != ENTERPRISE_TYPE:
        raise InvalidInput(
            _("Sensor keys are for enterprises; this premises is a %(type)s.")
            % {"type": premises.type.name_en.lower()},
            field="premises",
        )
    base = (name or f"{premises.name} sensors").strip()[:100]
    label = f"{base} #{secrets.token_hex(3)}" if ApiClient.objects.filter(name=base).exists() else base
    client, raw = api_client_issue(name=label, raw_key=raw_key)
    return EnterpriseKey.objects.create(api_client=client, premises=premises), raw


@transaction.atomic
def sensor_key_issue(*, actor: User, premises_id: int, name: str = "") -> tuple[EnterpriseKey, str]:
    """A dispatcher issues a key from the enterprise's page (the admin and `alert_key_issue` are
    the staff's and the operator's ways); returns (key row, raw key — shown once)."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only dispatchers issue sensor keys."))
    return enterprise_key_issue(premises_id=premises_id, name=name)


@transaction.atomic
def sensor_key_revoke(*, actor: User, premises_id: int, key_id: int) -> EnterpriseKey:
    """A dispatcher revokes one of an enterprise's keys (a gateway lost or replaced): its API client
    is deactivated, so the key stops working at once; the row stays as history."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only dispatchers revoke sensor keys."))
    key = EnterpriseKey.objects.select_related("api_client").filter(pk=key_id, premises_id=premises_id).first()
    if key is None:
        raise NotFound(_("This enterprise has no such key."))
    ApiClient.objects.filter(pk=key.api_client_id).update(active=False)
    key.api_client.active = False
    return key


# --- receiving ------------------------------------------------------------------------------------


@dataclass
class AlertOutcome:
    event: AlertEvent
    sensor: Sensor
    hazard: Hazard | None
    created: bool


def _sensor_locked(*, premises: Premises, sensor_id: str, metric: str, now) -> Sensor:
    """The sensor row, locked; registered by this alert if new. get_or_create retries on the
    unique constraint, so two first alerts racing for a new sensor end up with one row."""
    sensor = Sensor.objects.filter(premises=premises, sensor_id=sensor_id).only("pk").first()
    if sensor is None:
        if Sensor.objects.filter(premises=premises).count() >= conf.max_sensors_per_premises():
            raise Conflict(
                _("This enterprise already has %(max)d sensors; ask the district to register more.")
                % {"max": conf.max_sensors_per_premises()},
                code="too_many_sensors",
            )
        sensor, _created = Sensor.objects.get_or_create(
            premises=premises,
            sensor_id=sensor_id,
            defaults={"metric": metric, "auto_registered": True, "created_at": now},
        )
    # Lock the sensor row alone, then read its hazard in a new statement: a join in the locking
    # query would, after waiting for the lock, pair the sensor's newest row with the hazard as it
    # was before the wait (PostgreSQL re-checks only the locked row) — a stale open hazard.
    locked = Sensor.objects.select_for_update().get(pk=sensor.pk)
    locked.open_hazard = (
        Hazard.objects.select_related("category").filter(pk=locked.open_hazard_id).first()
        if locked.open_hazard_id
        else None
    )
    return locked


def _followed_hazard(sensor: Sensor) -> tuple[Hazard | None, bool]:
    """The open hazard this sensor's alerts act on, locked, and whether a sensor raised it.

    Its own hazard while open; if a dispatcher merged it, the end of the `duplicate_of` chain
    while that is open. The second value says whether sensors may close it once none of them
    follows it any more: its own hazard, or a survivor some sensor raised (an AlertEvent of kind
    raise says so), never a resident's report. None when there is nothing open to follow. Called
    under the sensor's lock; locks the hazard next (sensor → hazard, the fixed order).
    """
    pointer = sensor.open_hazard
    if pointer is None:
        return None, False
    hazard, seen = pointer, {pointer.pk}
    for _attempt in range(5):
        while hazard.status == Status.DUPLICATE and hazard.duplicate_of_id and hazard.duplicate_of_id not in seen:
            seen.add(hazard.duplicate_of_id)
            hazard = Hazard.objects.get(pk=hazard.duplicate_of_id)
        # Lock the end of the chain and read it again: a dispatcher may have closed or merged it
        # meanwhile (a merge committed while we waited: follow on from it; the final one stays locked,
        # harmless, nothing moves a final hazard).
        hazard = lock_hazard(hazard.pk)
        if hazard.status != Status.DUPLICATE or hazard.duplicate_of_id in seen:
            break
    if not lifecycle.is_open(hazard.status):
        return None, False  # closed, rejected (or a broken chain): the next abnormal reading starts afresh
    if hazard.pk == pointer.pk:
        return hazard, True
    return hazard, AlertEvent.objects.filter(hazard=hazard, kind=AlertKind.RAISE).exists()


def _other_followers(*, hazard: Hazard, sensor: Sensor) -> bool:
    """Whether another sensor still follows `hazard` (names it or a hazard merged into it).

    A sensor names its hazard until it reads normal again, so a follower is a sensor still
    abnormal (or in its clear band). Read under the hazard's lock, which every follower takes
    before it lets go: of two followers going normal at once, the second sees the first gone.
    """
    members, frontier = {hazard.pk}, [hazard.pk]
    for _depth in range(5):  # merges chain rarely more than once or twice
        merged = set(
            Hazard.objects.filter(duplicate_of_id__in=frontier, status=Status.DUPLICATE).values_list("pk", flat=True)
        )
        frontier = list(merged - members)
        if not frontier:
            break
        members.update(frontier)
    return Sensor.objects.filter(open_hazard_id__in=members).exclude(pk=sensor.pk).exists()


def _description(
    *, sensor: Sensor, premises: Premises, value: float, threshold: float, direction: str, message: str
) -> str:
    unit = sensor.unit
    text = _(
        "Sensor alert at %(premises)s: %(sensor)s reads %(metric)s %(value)g%(unit)s, %(beyond)s the threshold %(threshold)g%(unit)s."
    ) % {
        "premises": premises.name,
        "sensor": sensor.label or sensor.sensor_id,
        "metric": sensor.metric_label or sensor.metric,  # "温度", not the gateway's "temperature"
        "value": value,
        "threshold": threshold,
        "unit": unit,
        "beyond": _("below") if direction == AlertDirection.BELOW else _("above"),
    }
    return f"{text} {message}".strip()[:2000]


def alert_receive(
    *,
    api_client: ApiClient,
    sensor_id,
    metric,
    value,
    threshold,
    message="",
    clear: bool = False,
    now=None,
) -> AlertOutcome:
    """Receive one sensor alert for the enterprise `api_client` speaks for (see the module doc)."""
    premises = enterprise_for_client(api_client)
    if premises is None:
        raise PermissionDenied(_("This API key is not an enterprise sensor key (or the enterprise is inactive)."))
    sensor_id, metric, value, threshold, message = clean_alert(
        sensor_id=sensor_id, metric=metric, value=value, threshold=threshold, message=message
    )
    now = now or timezone.now()
    rule = rule_for(premises_id=premises.pk, metric=metric)
    direction = rule.direction if rule else AlertDirection.ABOVE
    abnormal = not clear and is_abnormal(value=value, threshold=threshold, direction=direction)

    with transaction.atomic():
        sensor = _sensor_locked(premises=premises, sensor_id=sensor_id, metric=metric, now=now)
        if sensor.metric != metric:
            raise InvalidInput(
                _("Sensor %(sensor)s reports %(metric)s; send another sensor_id for %(other)s.")
                % {"sensor": sensor_id, "metric": sensor.metric, "other": metric},
                field="metric",
            )
        hazard, sensor_raised = _followed_hazard(sensor)
        created = worsened = False
        severity = ""
        pointer = sensor.open_hazard if hazard is not None else None  # what the sensor keeps naming
        if abnormal:
            severity = severity_for(rule=rule, value=value, threshold=threshold)
            if hazard is None:
                kind, created = AlertKind.RAISE, True
                hazard = pointer = _raise_hazard(
                    api_client=api_client,
                    premises=premises,
                    sensor=sensor,
                    rule=rule,
                    severity=severity,
                    value=value,
                    threshold=threshold,
                    direction=direction,
                    message=message,
                )
            else:
                kind = AlertKind.UPDATE
                if SEVERITY_RANK[severity] > SEVERITY_RANK[hazard.severity]:
                    hazard, worsened = hazard_raise_severity(
                        hazard_id=hazard.pk,
                        severity=severity,
                        actor=None,
                        note=_(
                            "Sensor %(sensor)s now reads %(value)g (threshold %(threshold)g): severity raised to %(severity)s."
                        )
                        % {
                            "sensor": sensor.label or sensor.sensor_id,
                            "value": value,
                            "threshold": threshold,
                            "severity": severity,
                        },
                    )
        elif hazard is None:
            kind = AlertKind.NORMAL
        elif not clear and not is_cleared(
            value=value, threshold=threshold, direction=direction, margin_percent=clear_margin_for(rule)
        ):
            kind = AlertKind.HOLD  # inside the threshold but not by the margin: history only
        elif sensor_raised and not _other_followers(hazard=hazard, sensor=sensor):
            # The last sensor on a sensor-raised condition is back to normal: it is over.
            kind, pointer = AlertKind.CLEAR, None
            hazard = _clear_hazard(
                hazard=hazard, sensor=sensor, value=value, threshold=threshold, message=message, now=now
            )
        else:
            # A resident's report, or another sensor still abnormal on it: the hazard stays open
            # and this sensor stops following it.
            kind, pointer = AlertKind.RELEASE, None

        sensor.open_hazard = pointer
        sensor.last_value, sensor.last_threshold, sensor.last_seen_at = value, threshold, now
        sensor.last_severity = severity
        sensor.alert_count += 1
        sensor.save(
            update_fields=[
                "open_hazard",
                "last_value",
                "last_threshold",
                "last_severity",
                "last_seen_at",
                "alert_count",
            ]
        )
        event = AlertEvent.objects.create(
            sensor=sensor,
            api_client=api_client,
            value=value,
            threshold=threshold,
            message=message,
            kind=kind,
            severity=severity,
            rule=rule,
            hazard=hazard,
            received_at=now,
        )
        # The safety officer hears of every alert about a condition (raise, update, clear); the duty
        # room and the grid only of a new hazard, a worse one, or its end. A normal reading with
        # nothing open is history only: gateways that report every reading must not fill the outbox.
        topics = [user_topic(premises.responsible_user_id)] if premises.responsible_user_id else []
        if kind in (AlertKind.RAISE, AlertKind.CLEAR, AlertKind.RELEASE) or worsened:
            topics += [DISPATCH_TOPIC, grid_topic(premises.grid_id)]
        if topics and kind != AlertKind.NORMAL:
            publish(
                topics,
                "sensor.alert",
                events.alert_payload(event=event, sensor=sensor, premises=premises, hazard=hazard),
            )
    return AlertOutcome(event=event, sensor=sensor, hazard=hazard, created=created)


def _raise_hazard(
    *, api_client, premises: Premises, sensor: Sensor, rule, severity, value, threshold, direction, message
) -> Hazard:
    category = category_for(rule)
    try:
        outcome = hazard_report(
            reporter=None,
            category_slug=category.slug,
            description=_description(
                sensor=sensor, premises=premises, value=value, threshold=threshold, direction=direction, message=message
            ),
            latitude=premises.latitude,
            longitude=premises.longitude,
            address=premises.address[:200],
            photos=[],
            photos_required=False,
            source=Source.SENSOR,
            api_client=api_client,
            client_data={"sensor_id": sensor.sensor_id, "metric": sensor.metric, "premises": premises.code},
            severity=severity,
        )
    except InvalidInput as exc:
        # The enterprise cannot fix the district's register: say so instead of blaming a field it did not send.
        raise Conflict(
            _(
                "This enterprise's registered position cannot take a hazard (%(why)s); ask the district to correct the register."
            )
            % {"why": exc.message},
            code="premises_position",
        ) from exc
    hazard = outcome.hazard
    premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin=HazardOrigin.SENSOR)
    return hazard


def _clear_hazard(*, hazard: Hazard, sensor: Sensor, value, threshold, message, now) -> Hazard:
    note = _("Cleared automatically: sensor %(sensor)s reads %(value)g again (threshold %(threshold)g).") % {
        "sensor": sensor.label or sensor.sensor_id,
        "value": value,
        "threshold": threshold,
    }
    if message:
        note = f"{note} {message}"
    note = note[:500]
    locked = lock_hazard(hazard.pk)
    tasks_withdraw_for_hazard(hazard_id=locked.pk, reason=note, now=now)
    return hazard_transition(
        hazard_id=locked.pk, actor=None, to_status=Status.CLOSED, note=note, cleared_by_source=True
    )
