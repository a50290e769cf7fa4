"""`POST /api/v1/alerts/`: one sensor reading from an enterprise gateway. Thin: validate in the
service (which names the field), serialize the outcome."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import error_responses
from govern.errors import InvalidInput
from hazards.models import Severity, Status
from hazards.premises.alerts.auth import EnterpriseKeyAuthentication, IsEnterpriseKey, SensorAlertThrottle
from hazards.premises.alerts.events import alert_hazard
from hazards.premises.alerts.services import alert_receive
from hazards.premises.models import AlertKind


class AlertInSerializer(serializers.Serializer):
    sensor_id = serializers.CharField(
        max_length=64, help_text="The enterprise's own id of the sensor (letters, digits, _ . : / -)."
    )
    metric = serializers.CharField(
        max_length=40, help_text="What it measures, e.g. temperature, vibration, gas_ppm (lower case)."
    )
    value = serializers.FloatField(help_text="The reading (finite; |value| ≤ 1e9).")
    threshold = serializers.FloatField(
        help_text="The alarm threshold; beyond it is abnormal. An open hazard clears once the value is back inside it by the rule's clear margin (default 5 % of |threshold|)."
    )
    message = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Optional text for the duty room."
    )
    clear = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: the condition is over (clear the open hazard at once, whatever the value and the clear margin).",
    )


class AlertHazardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)


class AlertOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The alert's id (its history row).")
    kind = serializers.ChoiceField(
        choices=AlertKind.choices,
        help_text=(
            "raise (a new hazard), update (the open hazard, or the one it was merged into), hold (inside the threshold but not "
            "yet by the clear margin: the hazard stays open), clear (hazard closed), release (back to normal while the hazard "
            "stays open: a resident's report it was merged into, or one another sensor still reads abnormal on; no longer "
            "followed) or normal."
        ),
    )
    sensor_id = serializers.CharField()
    metric = serializers.CharField()
    severity = serializers.ChoiceField(
        choices=Severity.choices, allow_null=True, help_text="What the rules made of this reading; null when normal."
    )
    hazard = AlertHazardSerializer(
        allow_null=True,
        help_text=(
            "The hazard the sensor's alerts act on: its own, or the surviving hazard a dispatcher merged it into (the one just "
            "closed, for a clear; the one let go, for a release); null for a normal reading with nothing open."
        ),
    )


def _clear_flag(raw) -> bool:
    if raw in (None, "", False, "false", "False", "0", 0):
        return False
    if raw in (True, "true", "True", "1", 1):
        return True
    raise InvalidInput(_("clear must be true or false."), field="clear")


class AlertReceiveView(APIView):
    """Receive a sensor alert from an enterprise (authenticated by its sensor key).

    A reading beyond its threshold opens a hazard for the sensor — or updates the sensor's open
    one (never a second). Severity comes from the enterprise's alert rules.

    **Clear band (hysteresis).** An open hazard closes only when the reading is back inside the
    threshold by the rule's `clear_margin_percent` of |threshold| (default 5 %): with threshold 80
    on an "above" rule, 76 or less clears, while 76 < value ≤ 80 answers `hold` and keeps the
    hazard open, so a value flapping around 80 keeps one hazard instead of a storm. "Below" rules
    mirror it (clear at threshold + margin or more). `clear: true` clears at once, whatever the value.

    **Merged hazards.** If a dispatcher merged the sensor's hazard into another, alerts follow the
    merge: repeats update the surviving hazard (raising its severity as usual); a normal reading
    or `clear: true` closes it when a sensor raised it and no other sensor still reads abnormal on
    it, and otherwise lets it go (`release`) — a resident's report is not closed because a sensor
    reads normal again, and a condition two sensors see ends with the last of them.

    201 when a hazard was created, 200 otherwise.
    """

    authentication_classes = [EnterpriseKeyAuthentication]
    permission_classes = [IsEnterpriseKey]
    throttle_classes = [SensorAlertThrottle]

    @extend_schema(
        request=AlertInSerializer,
        responses={
            201: AlertOutSerializer,
            200: AlertOutSerializer,
            **error_responses(
                400,
                401,
                403,
                409,
                429,
                e401="No key, or an unknown or revoked key",
                e403="The key is not an enterprise sensor key",
                e409="The enterprise cannot take more sensors, or its registered position lies outside the district",
            ),
        },
        examples=[
            OpenApiExample(
                "Bearing overheating",
                value={
                    "sensor_id": "BRG-07",
                    "metric": "temperature",
                    "value": 92.5,
                    "threshold": 80,
                    "message": "2号轧机轴承温度高",
                },
                request_only=True,
            )
        ],
        tags=["alerts"],
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise InvalidInput(
                _("Send one JSON object: sensor_id, metric, value, threshold, message."), field="non_field_errors"
            )
        outcome = alert_receive(
            api_client=request.auth,
            sensor_id=data.get("sensor_id"),
            metric=data.get("metric"),
            value=data.get("value"),
            threshold=data.get("threshold"),
            message=data.get("message", ""),
            clear=_clear_flag(data.get("clear")),
        )
        hazard = outcome.hazard
        body = {
            "id": outcome.event.pk,
            "kind": outcome.event.kind,
            "sensor_id": outcome.sensor.sensor_id,
            "metric": outcome.sensor.metric,
            "severity": outcome.event.severity or None,
            "hazard": alert_hazard(hazard),
        }
        return Response(body, status=201 if outcome.created else 200)
