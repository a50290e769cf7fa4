"""Default checklists (and, when the register has premises, a demo campaign) for `seed_demo`.

Idempotent: checklists by (type, English name), items by (checklist, English text); a checklist
an admin has edited keeps the admin's changes (only missing rows are added).
"""

from __future__ import annotations

from hazards.models import Category, Severity

# type slug -> (Chinese name, English name, [(Chinese text, English text, category slug, severity, photo required)])
CHECKLISTS: dict[str, tuple[str, str, list[tuple[str, str, str, str, bool]]]] = {
    "restaurant": (
        "餐饮店厨房安全检查",
        "Restaurant kitchen safety",
        [
            (
                "液化气钢瓶存放规范：数量不超标、直立固定、远离明火",
                "Gas cylinders stored safely: within the limit, upright, secured, away from flames",
                "gas-safety",
                Severity.HIGH,
                True,
            ),
            ("燃气报警器安装且工作正常", "Gas alarm installed and working", "gas-safety", Severity.HIGH, True),
            (
                "电气线路规范，无私拉乱接、无过载插线板",
                "Wiring safe: no improvised lines or overloaded power strips",
                "electrical-wiring",
                Severity.HIGH,
                True,
            ),
            (
                "油烟净化器按期清洗（查看清洗记录）",
                "Fume purifier cleaned on schedule (cleaning record seen)",
                "kitchen-fumes",
                Severity.MEDIUM,
                True,
            ),
            (
                "灭火器配置到位且在有效期内",
                "Fire extinguisher present and in date",
                "fire-equipment",
                Severity.MEDIUM,
                True,
            ),
            ("安全出口、疏散通道畅通", "Exits and escape routes clear", "fire-passage", Severity.HIGH, True),
            (
                "无未解决的邻里投诉（油烟、噪声、异味）",
                "No unresolved complaints from neighbours (fumes, noise, smells)",
                "other",
                Severity.LOW,
                False,
            ),
        ],
    ),
    "shop": (
        "商铺消防安全检查",
        "Shop fire safety",
        [
            ("电气线路规范，无私拉乱接", "Wiring safe: no improvised lines", "electrical-wiring", Severity.HIGH, True),
            (
                "店内无电动车停放、充电",
                "No e-bikes parked or charging inside",
                "electrical-wiring",
                Severity.HIGH,
                True,
            ),
            (
                "灭火器配置到位且在有效期内",
                "Fire extinguisher present and in date",
                "fire-equipment",
                Severity.MEDIUM,
                True,
            ),
            (
                "安全出口畅通，货物不堵塞通道",
                "Exits clear, no goods blocking passages",
                "fire-passage",
                Severity.HIGH,
                True,
            ),
            (
                "无住人（“三合一”场所）",
                "Nobody sleeping on the premises (no shop-home-store mix)",
                "building-structure",
                Severity.HIGH,
                False,
            ),
        ],
    ),
    "workshop": (
        "作坊安全检查",
        "Workshop safety",
        [
            ("电气线路与设备接地规范", "Wiring and equipment earthing safe", "electrical-wiring", Severity.HIGH, True),
            (
                "易燃易爆、危化品按规定存放",
                "Flammables and chemicals stored as required",
                "hazardous-chemicals",
                Severity.HIGH,
                True,
            ),
            (
                "灭火器配置到位且在有效期内",
                "Fire extinguisher present and in date",
                "fire-equipment",
                Severity.MEDIUM,
                True,
            ),
            ("安全出口、疏散通道畅通", "Exits and escape routes clear", "fire-passage", Severity.HIGH, True),
            (
                "生产区与住宿区分隔",
                "Work area separated from living quarters",
                "building-structure",
                Severity.HIGH,
                False,
            ),
        ],
    ),
    "enterprise": (
        "企业安全生产检查",
        "Enterprise safety",
        [
            ("消防设施完好，定期检测", "Fire equipment in order and tested", "fire-equipment", Severity.MEDIUM, True),
            (
                "危化品台账清楚、存放规范",
                "Chemicals logged and stored as required",
                "hazardous-chemicals",
                Severity.HIGH,
                True,
            ),
            ("配电房、电气线路规范", "Switch room and wiring in order", "electrical-wiring", Severity.HIGH, True),
            ("安全出口、消防通道畅通", "Exits and fire lanes clear", "fire-passage", Severity.HIGH, True),
        ],
    ),
}


def seed_checklists() -> int:
    """Create the default checklists (needs the hazard categories and premises types); returns
    how many items were added."""
    from hazards.demo import seed_categories
    from hazards.premises.models import Checklist, ChecklistItem, PremisesType

    categories = {c.slug: c for c in Category.objects.all()}
    if not all(slug in categories for _z, _e, items in CHECKLISTS.values() for _t, _te, slug, _s, _p in items):
        categories = seed_categories()
    types = {t.slug: t for t in PremisesType.objects.all()}
    added = 0
    for slug, (name, name_en, items) in CHECKLISTS.items():
        premises_type = types.get(slug)
        if premises_type is None:
            continue
        checklist = Checklist.objects.filter(premises_type=premises_type, name_en=name_en).first()
        if checklist is None:
            has_active = Checklist.objects.filter(premises_type=premises_type, active=True).exists()
            checklist = Checklist.objects.create(
                premises_type=premises_type, name=name, name_en=name_en, active=not has_active
            )
        existing = set(checklist.items.values_list("text_en", flat=True))
        for order, (text, text_en, category, severity, photo) in enumerate(items, start=1):
            if text_en in existing:
                continue
            ChecklistItem.objects.create(
                checklist=checklist,
                text=text,
                text_en=text_en,
                category=categories[category],
                severity=severity,
                order=order * 10,
                photo_required=photo,
            )
            added += 1
    return added


def seed(ctx) -> None:
    added = seed_checklists()
    ctx.log(f"campaigns: default checklists for {len(CHECKLISTS)} premises types ({added} items added)")
    seed_demo_campaign(ctx)


def seed_demo_campaign(ctx) -> None:
    """A demo campaign over the restaurants of grid1's grid, assigned to grid1, when the register
    has such premises (the premises demo seeds them) and no demo campaign exists yet."""
    from hazards.premises.campaigns.services import campaign_activate, campaign_assign, campaign_create
    from hazards.premises.models import Campaign, CampaignStatus, Premises

    dispatcher, grid1 = ctx.users.get("dispatcher"), ctx.users.get("grid1")
    if dispatcher is None or grid1 is None or not ctx.grids:
        return
    name = "夏季餐饮店燃气安全检查（示例）"
    if Campaign.objects.filter(name=name).exists():
        return
    grid = ctx.grids[0]
    premises = list(
        Premises.objects.filter(active=True, grid=grid, type__slug="restaurant").values_list("pk", flat=True)
    )
    if not premises:
        return
    campaign = campaign_create(
        actor=dispatcher,
        name=name,
        description="入夏前逐户检查燃气、电气线路、油烟净化器和消防通道。",
        grid_ids=[grid.pk],
        type_slugs=["restaurant"],
    )
    campaign_assign(campaign_id=campaign.pk, actor=dispatcher, inspector_id=grid1.pk, premises_ids=premises)
    if campaign.status == CampaignStatus.DRAFT:
        campaign_activate(campaign_id=campaign.pk, actor=dispatcher)
    ctx.log(f"campaigns: demo campaign over {len(premises)} restaurants, assigned to grid1")
