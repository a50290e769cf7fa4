"""Sensor alerts (issue 12): enterprise keys, sensors, alert rules and the alert history.

An enterprise's gateway posts readings to `POST /api/v1/alerts/` with a key issued to that
enterprise (EnterpriseKey links a govern.ApiClient to one enterprise Premises). A reading over
its threshold raises — or updates — the one open hazard of its sensor; a reading back to normal
closes it. Every POST is an AlertEvent row, so the history survives the hazard being closed.

Part of the `premises` app's models package (label `premises`, its migrations).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govern.models import ApiClient
from hazards.models import Severity
from hazards.premises.models.register import Premises

__all__ = ["AlertDirection", "AlertEvent", "AlertKind", "AlertRule", "EnterpriseKey", "Sensor"]

SENSOR_ID_MAX = 64
METRIC_MAX = 40
CLEAR_MARGIN_MAX = 50  # percent: a wider band would keep a hazard open long after the condition ended

# What a sensor measures, in words: a gateway names its metric freely ("temperature", "gas_ppm");
# the pages show the label when the metric is one of these and the raw name, marked as a code, when
# it is not. Beside the model (not in hazards.premises.alerts) because `Sensor.metric_label` reads
# it, and the models import nothing of the layers above them.
METRIC_LABELS = {
    "temperature": _("temperature"),
    "vibration": _("vibration"),
    "gas_ppm": _("combustible gas"),
    "co_ppm": _("carbon monoxide"),
    "oxygen_percent": _("oxygen"),
    "smoke": _("smoke"),
    "pressure": _("pressure"),
    "humidity": _("humidity"),
    "water_level": _("water level"),
    "current": _("electric current"),
}


def metric_label(metric: str) -> str:
    """The label of a known metric, or "" for one the pages show as sent."""
    label = METRIC_LABELS.get(metric.strip().lower())
    return str(label) if label else ""


class EnterpriseKey(models.Model):
    """An API key (govern.ApiClient) that speaks for one enterprise's sensors.

    A OneToOne here rather than a column on ApiClient: the kernel knows nothing of premises. An
    enterprise may hold several keys (one per gateway, or old and new while rotating); revoking
    is deactivating the ApiClient.
    """

    api_client = models.OneToOneField(
        ApiClient, on_delete=models.CASCADE, related_name="enterprise_key", verbose_name=_("API client")
    )
    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="sensor_keys", verbose_name=_("enterprise")
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("enterprise sensor key")
        verbose_name_plural = _("enterprise sensor keys")
        ordering = ["premises_id", "id"]

    def __str__(self) -> str:
        return f"{self.api_client} → {self.premises_id}"


class AlertDirection(models.TextChoices):
    ABOVE = "above", _("alarm above the threshold")
    BELOW = "below", _("alarm below the threshold")


class AlertRule(models.Model):
    """How an enterprise's alerts of one metric become hazards: the category, and severity bands.

    A reading is abnormal when it is beyond its threshold (above it, or below it for metrics like
    oxygen or water pressure). Its excess is |value − threshold| as a percentage of |threshold|;
    the severity is `severity` just beyond it, `high` from `high_over_percent`, `critical` from
    `critical_over_percent` (never lower than `severity`). A rule without a premises applies to
    every enterprise that has no rule of its own for the metric; with no rule at all the defaults
    are ALERTS_DEFAULT_CATEGORY and medium / high at 10 % / critical at 25 %.

    Hysteresis: once a hazard is open, a reading clears it only when it is back inside the
    threshold by `clear_margin_percent` of |threshold| (empty: ALERTS_CLEAR_MARGIN_PERCENT, 5 %):
    for an "above" rule at 80 with 5 %, a value ≤ 76 clears; 76 < value ≤ 80 keeps it open
    (kind `hold`). Mirrored for "below" rules (clears at ≥ threshold + margin). 0 disables the band.
    """

    premises = models.ForeignKey(
        Premises,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("enterprise"),
        help_text=_("Empty: the district-wide rule for this metric."),
    )
    metric = models.CharField(_("metric"), max_length=METRIC_MAX, help_text=_("e.g. temperature, vibration, gas_ppm"))
    category = models.ForeignKey(
        "hazards.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("hazard category")
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=AlertDirection.choices, default=AlertDirection.ABOVE
    )
    severity = models.CharField(
        _("severity just beyond the threshold"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    high_over_percent = models.FloatField(_("high from (% beyond the threshold)"), null=True, blank=True, default=10)
    critical_over_percent = models.FloatField(
        _("critical from (% beyond the threshold)"), null=True, blank=True, default=25
    )
    clear_margin_percent = models.FloatField(
        _("clear margin (percent of the threshold)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(CLEAR_MARGIN_MAX)],
        help_text=_(
            "An open hazard clears only when the reading is back inside the threshold by this percentage of it "
            "(0 to 50; empty: the district default, 5 %). Stops a value flapping around the threshold from "
            "opening and closing hazards."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["metric", "premises_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["premises", "metric"], name="alertrule_one_per_premises_metric"),
            models.UniqueConstraint(
                fields=["metric"], condition=Q(premises__isnull=True), name="alertrule_one_default_per_metric"
            ),
            models.CheckConstraint(condition=~Q(metric=""), name="alertrule_metric_not_blank"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="alertrule_severity_valid"),
            models.CheckConstraint(condition=Q(direction__in=AlertDirection.values), name="alertrule_direction_valid"),
            models.CheckConstraint(
                condition=(Q(high_over_percent__isnull=True) | Q(high_over_percent__gte=0))
                & (Q(critical_over_percent__isnull=True) | Q(critical_over_percent__gte=0)),
                name="alertrule_bands_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(high_over_percent__isnull=True)
                | Q(critical_over_percent__isnull=True)
                | Q(critical_over_percent__gte=F("high_over_percent")),
                name="alertrule_critical_band_above_high",
            ),
            models.CheckConstraint(
                condition=Q(clear_margin_percent__isnull=True)
                | (Q(clear_margin_percent__gte=0) & Q(clear_margin_percent__lte=CLEAR_MARGIN_MAX)),
                name="alertrule_clear_margin_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} @ {self.premises_id or '*'} → {self.category_id}"


class Sensor(models.Model):
    """One sensor of an enterprise, named by the enterprise's own id for it.

    Registered automatically by its first alert (a plant adds sensors faster than anyone at the
    district could register them; the enterprise key is what limits who can), or ahead of time in
    the admin to give it a label and unit. A sensor measures one metric. `open_hazard` is its one
    open hazard: a OneToOne, so at most one per sensor and no hazard shared by two sensors — the
    deduplication invariant held by the database, not only by the row lock.

    `open_hazard` always names a hazard this sensor raised. When a dispatcher merges it into
    another (status `duplicate`, `duplicate_of` set), it keeps naming it and the alert service
    follows the `duplicate_of` chain to the surviving hazard: repeats update that one, and a
    normal reading releases it (`open_hazard` emptied), closing it only when a sensor raised it
    and no other sensor still follows it. Never re-pointed at the survivor, which may be another sensor's (the OneToOne
    would refuse it) or a resident's report.
    """

    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="sensors", verbose_name=_("enterprise")
    )
    sensor_id = models.CharField(_("sensor id"), max_length=SENSOR_ID_MAX)
    metric = models.CharField(_("metric"), max_length=METRIC_MAX)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    label = models.CharField(_("label"), max_length=80, blank=True)
    open_hazard = models.OneToOneField(
        "hazards.Hazard",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="open_for_sensor",
        verbose_name=_("open hazard"),
    )
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    last_threshold = models.FloatField(_("last threshold"), null=True, blank=True)
    last_severity = models.CharField(_("last severity"), max_length=10, blank=True)
    last_seen_at = models.DateTimeField(_("last alert at"), null=True, blank=True)
    alert_count = models.PositiveIntegerField(_("alerts received"), default=0)
    auto_registered = models.BooleanField(_("registered by its first alert"), default=False)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["premises_id", "sensor_id"]
        constraints = [
            models.UniqueConstraint(fields=["premises", "sensor_id"], name="sensor_unique_per_premises"),
            models.CheckConstraint(condition=~Q(sensor_id=""), name="sensor_id_not_blank"),
            models.CheckConstraint(condition=~Q(metric=""), name="sensor_metric_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.sensor_id} ({self.metric})"

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)


class AlertKind(models.TextChoices):
    RAISE = "raise", _("raised a hazard")
    UPDATE = "update", _("updated the open hazard")
    CLEAR = "clear", _("cleared the open hazard")
    HOLD = "hold", _("within the clear band: hazard kept open")
    RELEASE = "release", _("back to normal: stopped following the hazard it was merged into")
    NORMAL = "normal", _("normal reading")


class AlertEvent(models.Model):
    """One POST to /api/v1/alerts/, whatever it did: the history of a sensor, kept for ever."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="events", verbose_name=_("sensor"))
    api_client = models.ForeignKey(
        ApiClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("API client")
    )
    value = models.FloatField(_("value"))
    threshold = models.FloatField(_("threshold"))
    message = models.CharField(_("message"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    rule = models.ForeignKey(
        AlertRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("rule")
    )
    hazard = models.ForeignKey(
        "hazards.Hazard",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sensor_alerts",
        verbose_name=_("hazard"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("sensor alert")
        verbose_name_plural = _("sensor alerts")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["sensor", "-received_at"], name="alertevent_sensor_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alertevent_kind_valid"),
            models.CheckConstraint(
                condition=Q(severity="") | Q(severity__in=Severity.values), name="alertevent_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id}: {self.kind} {self.value}/{self.threshold}"
