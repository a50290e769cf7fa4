"""Demo of sensor alerts for `seed_demo`: the demo steel plant's sensor key, and alert rules.

Idempotent. The enterprise is the first premises of type enterprise (the premises demo seeds
them); with none, a demo steel plant with a safety officer account is created here. The demo
key `govern-demo-sensor` is attached to it.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from govern.api_keys import api_client_for_key
from govern.demo import DEMO_PASSWORD
from govern.models import User
from govern.roles import RESIDENT
from hazards.models import Category, Severity
from hazards.premises.alerts.selectors import ENTERPRISE_TYPE
from hazards.premises.alerts.services import enterprise_key_issue
from hazards.premises.models import AlertDirection, AlertRule, EnterpriseKey, Premises, PremisesType

DEMO_SENSOR_KEY = "govern-demo-sensor"
FALLBACK_CODE = "ENT-DEMO-STEEL"
SAFETY_OFFICER = ("safety1", "13500000001", "安全员 钱工")

# Machine readings go under "other" (default severity low), so that the bands alone decide their
# severity; gas and oxygen under the categories whose crews handle them. (No new category here:
# the demo's category list belongs to hazards.demo.)
# metric, category slug, direction, severity just beyond, high from %, critical from %, note
RULES = [
    (
        "temperature",
        "other",
        AlertDirection.ABOVE,
        Severity.MEDIUM,
        10,
        25,
        "轴承/仓库温度 bearing or warehouse temperature",
    ),
    ("vibration", "other", AlertDirection.ABOVE, Severity.MEDIUM, 20, 50, "设备振动 machine vibration"),
    ("gas_ppm", "gas-safety", AlertDirection.ABOVE, Severity.HIGH, 0, 50, "可燃气体浓度 combustible gas"),
    (
        "oxygen_percent",
        "hazardous-chemicals",
        AlertDirection.BELOW,
        Severity.HIGH,
        5,
        10,
        "受限空间含氧量 oxygen in confined spaces",
    ),
]


def _enterprise(ctx) -> Premises | None:
    found = Premises.objects.filter(type__slug=ENTERPRISE_TYPE, active=True).order_by("code", "id").first()
    if found is not None or not ctx.grids:
        return found
    officer = User.objects.filter(username=SAFETY_OFFICER[0]).first()
    if officer is None:
        officer = User.objects.create_user(
            SAFETY_OFFICER[0], password=DEMO_PASSWORD, phone=SAFETY_OFFICER[1], display_name=SAFETY_OFFICER[2]
        )
        resident = Group.objects.filter(name=RESIDENT).first()
        if resident is not None:
            officer.groups.add(resident)
    grid = ctx.grids[0]
    return Premises.objects.create(
        code=FALLBACK_CODE,
        name="汾湖特钢厂",
        type=PremisesType.objects.get(slug=ENTERPRISE_TYPE),
        address="汾湖镇工业园区 8 号",
        street="工业园区",
        latitude=grid.center_latitude,
        longitude=grid.center_longitude,
        grid=grid,
        responsible_name=SAFETY_OFFICER[2],
        responsible_phone=SAFETY_OFFICER[1],
        responsible_user=officer,
    )


def seed_rules() -> None:
    for metric, category, direction, severity, high, critical, note in RULES:
        category_row = Category.objects.filter(slug=category).first()
        if category_row is None or AlertRule.objects.filter(premises__isnull=True, metric=metric).exists():
            continue
        AlertRule.objects.create(
            metric=metric,
            category=category_row,
            direction=direction,
            severity=severity,
            high_over_percent=high,
            critical_over_percent=critical,
            note=note,
        )


def seed(ctx) -> None:
    seed_rules()
    enterprise = _enterprise(ctx)
    if enterprise is None:
        return
    client = api_client_for_key(DEMO_SENSOR_KEY)
    if client is None:
        enterprise_key_issue(premises_id=enterprise.pk, name="示例传感器网关", raw_key=DEMO_SENSOR_KEY)
    elif not EnterpriseKey.objects.filter(api_client=client).exists():
        EnterpriseKey.objects.create(api_client=client, premises=enterprise)
    ctx.log(f"Sensor alerts: demo key {DEMO_SENSOR_KEY} for {enterprise.name} ({enterprise.code}).")
