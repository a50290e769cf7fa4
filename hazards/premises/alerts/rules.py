"""What a reading means: which rule applies, whether it is abnormal or cleared (hysteresis), how
severe, and which hazard category it is filed under. Pure decisions; the service acts on them."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from govern.errors import Conflict
from hazards.models import SEVERITY_RANK, Category, Severity
from hazards.premises.alerts import conf
from hazards.premises.models import AlertDirection, AlertRule

DEFAULT_BANDS = (Severity.MEDIUM, 10.0, 25.0)


def rule_for(*, premises_id: int, metric: str) -> AlertRule | None:
    """The enterprise's own active rule for the metric, else the district-wide one, else None."""
    rules = AlertRule.objects.filter(
        metric=metric, active=True, premises_id__in=[premises_id]
    ) | AlertRule.objects.filter(metric=metric, active=True, premises__isnull=True)
    found = sorted(rules.select_related("category"), key=lambda r: r.premises_id is None)
    return found[0] if found else None


def is_abnormal(*, value: float, threshold: float, direction: str) -> bool:
    return value < threshold if direction == AlertDirection.BELOW else value > threshold


def clear_margin_for(rule: AlertRule | None) -> float:
    """The clear band in percent of |threshold|: the rule's own, else the district default."""
    if rule is not None and rule.clear_margin_percent is not None:
        return rule.clear_margin_percent
    return conf.clear_margin_percent()


def is_cleared(*, value: float, threshold: float, direction: str, margin_percent: float) -> bool:
    """Back inside the threshold by the margin: what clears an open hazard (hysteresis)."""
    band = abs(threshold) * margin_percent / 100
    return value >= threshold + band if direction == AlertDirection.BELOW else value <= threshold - band


def excess_percent(*, value: float, threshold: float) -> float:
    """How far beyond the threshold, as a percentage of it (infinite for a zero threshold)."""
    if threshold == 0:
        return math.inf if value != 0 else 0.0
    return abs(value - threshold) / abs(threshold) * 100


def severity_for(*, rule: AlertRule | None, value: float, threshold: float) -> str:
    base, high, critical = (
        (rule.severity, rule.high_over_percent, rule.critical_over_percent) if rule else DEFAULT_BANDS
    )
    excess = excess_percent(value=value, threshold=threshold)
    severity = base
    if high is not None and excess >= high:
        severity = Severity.HIGH if SEVERITY_RANK[Severity.HIGH] > SEVERITY_RANK[severity] else severity
    if critical is not None and excess >= critical:
        severity = Severity.CRITICAL
    return severity


def category_for(rule: AlertRule | None) -> Category:
    """The category a sensor's hazard is filed under: the rule's, else ALERTS_DEFAULT_CATEGORY, else the first active one."""
    if rule is not None and rule.category.active:
        return rule.category
    category = Category.objects.filter(slug=conf.default_category(), active=True).first()
    if category is None:
        category = Category.objects.filter(active=True).order_by("id").first()
    if category is None:
        raise Conflict(
            _("No active hazard category exists to file sensor alerts under; ask the district to add one."),
            code="no_category",
        )
    return category
