"""Demo data of the hazards app: categories, keyword rules, and reports in every state.

Deterministic and idempotent: categories and rules by slug/name, demo reports by their
description; photos are drawn with Pillow from a seeded generator and go through the real
photo pipeline; tracking codes come from a seeded generator too.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from hazards.core.lifecycle import hazard_transition
from hazards.models import Category, Hazard, Severity, Source, Status, TriageRule
from hazards.reports.services import hazard_report
from hazards.reports.tracking import new_tracking_code
from hazards.triage.services import hazard_triage

# slug, Chinese, English, default severity, accept within (min), rectify within (min), icon, skill slugs to link if present
CATEGORIES = [
    ("gas-safety", "燃气安全", "Gas safety", Severity.HIGH, 10, 240, "🔥", ("gas-safety", "gas")),
    ("electrical-wiring", "电气线路", "Electrical wiring", Severity.HIGH, 15, 480, "⚡", ("electrician", "electrical")),
    ("kitchen-fumes", "油烟污染", "Kitchen fumes", Severity.MEDIUM, 60, 3 * 24 * 60, "💨", ()),
    ("fire-passage", "消防通道堵塞", "Blocked fire passage", Severity.HIGH, 10, 120, "🚒", ()),
    (
        "fire-equipment",
        "消防设施",
        "Fire equipment",
        Severity.MEDIUM,
        30,
        24 * 60,
        "🧯",
        ("fire-safety", "firefighting"),
    ),
    ("hazardous-chemicals", "危化品", "Hazardous chemicals", Severity.HIGH, 10, 240, "☣", ("hazmat", "chemicals")),
    ("traffic-safety", "交通安全", "Traffic safety", Severity.MEDIUM, 30, 24 * 60, "🚦", ()),
    ("building-structure", "房屋结构", "Building and structure", Severity.HIGH, 30, 2 * 24 * 60, "🏚", ()),
    ("other", "其他", "Other", Severity.LOW, 60, 3 * 24 * 60, "📌", ()),
]

# name, keywords, suggested category slug (or None), raise severity to ("" for none), priority
RULES = [
    (
        "燃气泄漏 gas leak",
        "漏气, 燃气泄漏, 煤气泄漏, 闻到煤气, 闻到燃气, 煤气味, gas leak, smell of gas, smells of gas",
        "gas-safety",
        Severity.CRITICAL,
        10,
    ),
    ("明火冒烟 fire or smoke", "着火, 起火, 冒烟, 明火, 火苗, on fire, smoke, flames", None, Severity.CRITICAL, 20),
    ("触电漏电 electric shock", "触电, 漏电, electric shock, live wire", "electrical-wiring", Severity.CRITICAL, 30),
    (
        "液化气瓶 gas cylinders",
        "液化气罐, 煤气罐, 液化气瓶, 钢瓶, gas cylinder, gas bottle, LPG",
        "gas-safety",
        Severity.HIGH,
        40,
    ),
    (
        "私拉电线 unsafe wiring",
        "私拉电线, 飞线, 电线老化, 插线板, 电动车充电, 电瓶车充电, extension cord, exposed wire, overloaded socket, e-bike charging",
        "electrical-wiring",
        Severity.HIGH,
        50,
    ),
    (
        "通道堵塞 blocked passage",
        "消防通道, 通道堵塞, 堵塞通道, 堆放杂物, 安全出口, fire exit, blocked passage, fire lane",
        "fire-passage",
        "",
        60,
    ),
    ("油烟 fumes", "油烟, 排烟, 烟道, kitchen fumes, cooking fumes", "kitchen-fumes", "", 70),
    (
        "消防器材 fire equipment",
        "灭火器, 消防栓, 消火栓, 烟感, 应急灯, fire extinguisher, hydrant, smoke detector",
        "fire-equipment",
        "",
        80,
    ),
    (
        "危化品 chemicals",
        "化学品, 危化品, 汽油, 油漆, 稀料, chemical, petrol, gasoline, solvent",
        "hazardous-chemicals",
        Severity.HIGH,
        90,
    ),
    (
        "房屋结构 structure",
        "裂缝, 倒塌, 墙体, 脱落, 坠落, crack, collapse, falling",
        "building-structure",
        Severity.HIGH,
        100,
    ),
]

# (target status, category, grid index, (d_lat, d_lng) inside the grid, reporter, description)
DEMO_REPORTS = [
    (
        Status.SUBMITTED,
        "gas-safety",
        0,
        (0.0042, 0.0031),
        "resident1",
        "黎里老街38号小饭店后厨，液化气罐紧挨着灶台放，旁边还堆着纸箱，闻到一点煤气味。",
    ),
    (
        Status.TRIAGED,
        "electrical-wiring",
        0,
        (0.0121, 0.0062),
        "vol1",
        "3号楼楼道里私拉电线给电动车充电，插线板放在地上，晚上一排车都在充。",
    ),
    (
        Status.DISPATCHED,
        "fire-passage",
        4,
        (0.0063, 0.0048),
        "resident1",
        "小区东门消防通道被快递三轮车和废旧家具堵住，消防车进不来。",
    ),
    (
        Status.IN_PROGRESS,
        "kitchen-fumes",
        4,
        (0.0152, 0.0027),
        None,
        "烧烤店排烟管直接对着居民楼窗户，油烟很大，家里窗户都不敢开。",
    ),
    (
        Status.RECTIFIED,
        "fire-equipment",
        1,
        (0.0087, 0.0055),
        "vol2",
        "菜场二楼的灭火器压力表指针在红区，过期两年了，消防栓箱门也锁着打不开。",
    ),
    (
        Status.VERIFIED,
        "traffic-safety",
        2,
        (0.0034, 0.0071),
        "resident1",
        "学校门口的减速带坏了一半，上下学时电动车开得很快，孩子过马路很危险。",
    ),
    (
        Status.CLOSED,
        "building-structure",
        3,
        (0.0101, 0.0043),
        "vol3",
        "老公房5栋外墙有一块瓷砖脱落，下面就是人行道，墙体还有裂缝。",
    ),
    (Status.REJECTED, "other", 5, (0.0058, 0.0059), None, "隔壁邻居晚上打麻将声音太吵了。"),
    (
        Status.REOPENED,
        "hazardous-chemicals",
        6,
        (0.0135, 0.0033),
        "vol4",
        "五金店门口堆放了十几桶油漆和稀料，太阳直晒，旁边就是早餐摊的炉子。",
    ),
]
# A second report of the triaged wiring problem, merged into it as a duplicate.
DUPLICATE_REPORT = (
    "electrical-wiring",
    0,
    (0.01212, 0.00622),
    "vol2",
    "3号楼一楼楼道飞线充电，好几辆电瓶车一起充，插线板都发烫了。",
)

PATH_AFTER_TRIAGE = [Status.DISPATCHED, Status.IN_PROGRESS, Status.RECTIFIED, Status.VERIFIED, Status.CLOSED]
NOTES = {
    Status.DISPATCHED: "已派单给网格员。",
    Status.IN_PROGRESS: "网格员已到现场处理。",
    Status.RECTIFIED: "已整改，附整改照片。",
    Status.VERIFIED: "指挥室复核通过。",
    Status.CLOSED: "办结。",
}


def demo_photo(seed: int, size=(960, 720)) -> bytes:
    """A small deterministic JPEG: a sky/ground scene with a few shapes (never the same twice)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randint(150, 220), rng.randint(170, 230), rng.randint(200, 250)))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(size[1] // 3, size[1] // 2)
    draw.rectangle(
        [0, horizon, size[0], size[1]], fill=(rng.randint(90, 140), rng.randint(90, 130), rng.randint(80, 120))
    )
    for _ in range(6):
        x0, y0 = rng.randint(0, size[0] - 120), rng.randint(0, size[1] - 120)
        w, h = rng.randint(60, 260), rng.randint(60, 260)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=colour, outline=(20, 20, 20), width=3)
        else:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=colour, outline=(20, 20, 20), width=3)
    draw.text((16, 16), f"govern demo #{seed}", fill=(0, 0, 0))
    # Make and model, as a phone's photo has: a demo fix passes the proof checks (hazards.dispatch.proof).
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "govern", "demo camera"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, exif=exif.tobytes())
    return buffer.getvalue()


def seed_categories() -> dict[str, Category]:
    from volunteers.models import Skill

    categories = {}
    for order, (slug, name, name_en, severity, accept, rectify, icon, skills) in enumerate(CATEGORIES, start=1):
        skill = Skill.objects.filter(slug__in=skills).order_by("id").first() if skills else None
        category, created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_en": name_en,
                "default_severity": severity,
                "sla_accept_minutes": accept,
                "sla_rectify_minutes": rectify,
                "icon": icon,
                "sort_order": order * 10,
                "required_skill": skill,
            },
        )
        if not created and skill is not None and category.required_skill_id is None:
            category.required_skill = skill
            category.save(update_fields=["required_skill"])
        categories[slug] = category
    return categories


def seed_rules(categories: dict[str, Category]) -> None:
    for name, keywords, slug, severity, priority in RULES:
        TriageRule.objects.get_or_create(
            name=name,
            defaults={
                "keywords": keywords,
                "suggest_category": categories[slug] if slug else None,
                "raise_severity": severity,
                "priority": priority,
            },
        )


def _report(ctx, index: int, category: str, grid_index: int, offset, reporter_name, description, rng) -> Hazard:
    grid = ctx.grids[grid_index]
    outcome = hazard_report(
        reporter=ctx.users.get(reporter_name) if reporter_name else None,
        category_slug=category,
        description=description,
        latitude=round(grid.min_latitude + offset[0], 6),
        longitude=round(grid.min_longitude + offset[1], 6),
        address="",
        contact_phone="" if reporter_name else "13512345678",
        photos=[
            SimpleUploadedFile(f"demo-{index}-{n}.jpg", demo_photo(index * 10 + n), "image/jpeg")
            for n in range(1 + index % 2)
        ],
        source=Source.DEMO,
        code_rng=rng,
    )
    return outcome.hazard


def seed(ctx) -> None:
    categories = seed_categories()
    seed_rules(categories)
    if not ctx.grids:
        return
    rng = random.Random(20261123)
    dispatcher = ctx.users.get("dispatcher")
    existing = set(Hazard.objects.filter(source=Source.DEMO).values_list("description", flat=True))
    by_status: dict[str, Hazard] = {}
    for index, (target, category, grid_index, offset, reporter, description) in enumerate(DEMO_REPORTS, start=1):
        if description in existing:
            by_status[target] = Hazard.objects.get(source=Source.DEMO, description=description)
            continue
        with transaction.atomic():
            hazard = _report(ctx, index, category, grid_index, offset, reporter, description, rng)
            by_status[target] = hazard
            if target == Status.SUBMITTED:
                continue
            if target == Status.REJECTED:
                hazard_triage(
                    hazard_id=hazard.pk,
                    actor=dispatcher,
                    decision="reject",
                    note="邻里噪音不属于安全隐患，请拨打12345市民热线反映。",
                )
                continue
            by_status[target] = hazard_triage(hazard_id=hazard.pk, actor=dispatcher, decision="accept", note="已受理。")
            steps = PATH_AFTER_TRIAGE
            if target == Status.REOPENED:
                steps = [Status.DISPATCHED, Status.IN_PROGRESS, Status.RECTIFIED, Status.REOPENED]
            for step in steps:
                if by_status[target].status == target:
                    break
                note = "整改照片显示油漆桶仍堆放在门口，退回重新整改。" if step == Status.REOPENED else NOTES[step]
                by_status[target] = hazard_transition(hazard_id=hazard.pk, actor=dispatcher, to_status=step, note=note)
    category, grid_index, offset, reporter, description = DUPLICATE_REPORT
    if description not in existing and Status.TRIAGED in by_status:
        with transaction.atomic():
            duplicate = _report(ctx, 99, category, grid_index, offset, reporter, description, rng)
            hazard_triage(
                hazard_id=duplicate.pk,
                actor=dispatcher,
                decision="duplicate",
                duplicate_of=str(by_status[Status.TRIAGED].pk),
            )
    seed_tasks(ctx, rng)
    ctx.log(
        f"hazards: {len(CATEGORIES)} categories, {len(RULES)} triage rules, {Hazard.objects.filter(source=Source.DEMO).count()} demo reports"
    )


# (task state to reach, assignee, category, (d_lat, d_lng) inside grids[0], description) — grid1's grid
DEMO_TASKS = [
    # vol1's task limit is 2 open tasks: the done one first (it no longer counts), then two open ones.
    ("done", "vol1", "other", (0.0112, 0.0035), "小区儿童游乐区的秋千链条断了一根，还有孩子在玩。"),
    ("accepted", "vol1", "fire-equipment", (0.0075, 0.0066), "老年活动室的灭火器放在柜子里上了锁，取不出来。"),
    ("offered", "vol1", "kitchen-fumes", (0.0052, 0.0022), "面馆排油烟管道滴油，墙面一片黑，楼上住户投诉。"),
    ("offered", "grid1", "fire-passage", (0.0031, 0.0042), "幸福里2弄消防通道停满电动车，夜里车棚灯也不亮。"),
    ("in_progress", "grid1", "traffic-safety", (0.0098, 0.0051), "菜场门口窨井盖松动，电动车压上去会翘起来。"),
]


def seed_tasks(ctx, rng) -> None:
    """Tasks of grid1 and vol1 in several states (offered, accepted, in progress, done awaiting
    verification), built through the dispatch services; idempotent by description."""
    from hazards.dispatch import services as dispatch

    dispatcher, grid = ctx.users.get("dispatcher"), ctx.grids[0]
    if dispatcher is None or not all(ctx.users.get(name) for name in ("grid1", "vol1")):
        return
    existing = set(Hazard.objects.filter(source=Source.DEMO).values_list("description", flat=True))
    for index, (state, assignee, category, offset, description) in enumerate(DEMO_TASKS, start=200):
        if description in existing:
            continue
        user = ctx.users[assignee]
        with transaction.atomic():
            hazard = _report(ctx, index, category, 0, offset, "resident1", description, rng)
            hazard_triage(hazard_id=hazard.pk, actor=dispatcher, decision="accept", note="已受理。")
            task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=dispatcher, assignee_id=user.pk).tasks[0]
            if state == "offered":
                continue
            dispatch.task_accept(task_id=task.pk, actor=user)
            if state == "accepted":
                continue
            dispatch.task_start(task_id=task.pk, actor=user)
            if state == "in_progress":
                continue
        photo = SimpleUploadedFile(f"demo-fix-{index}.jpg", demo_photo(index), "image/jpeg")
        dispatch.task_complete(task_id=task.pk, actor=user, note="已更换链条并拍照留档。", photos=[photo])
    ctx.log(f"hazards: demo tasks for grid1 and vol1 in {len(DEMO_TASKS)} states (grid {grid.code})")


SCALE_DESCRIPTIONS = [
    "楼道堆放杂物堵塞安全出口",
    "电动车在楼道内充电",
    "饭店液化气瓶未固定",
    "路口信号灯不亮",
    "灭火器过期未更换",
    "外墙瓷砖松动",
    "餐馆油烟直排",
    "仓库门口堆放油漆桶",
]


SCALE_MARK = "压测数据"


def seed_scale(ctx, n: int, progress_bar) -> None:
    """Up to 10×n scale reports for benchmarks (idempotent like the volunteers' seed: a second run
    with the same n adds nothing): bulk inserted, no photos, no events, spread over 90 days."""
    existing = Hazard.objects.filter(source=Source.DEMO, description__contains=SCALE_MARK).count()
    total = max(0, 10 * n - existing)
    if total <= 0 or not ctx.grids:
        return
    categories = list(Category.objects.order_by("id"))
    if not categories:
        categories = list(seed_categories().values())
    statuses = Status.values
    severities = Severity.values
    rng = random.Random(7_000 + existing)
    now = timezone.now()
    bar = progress_bar("hazards", total)
    _insert_scale(rng, existing, total, categories, statuses, severities, now, ctx, bar)


def _insert_scale(rng, existing, total, categories, statuses, severities, now, ctx, bar) -> None:
    batch: list[Hazard] = []
    done = 0
    for i in range(total):
        grid = ctx.grids[rng.randrange(len(ctx.grids))]
        status = statuses[rng.randrange(len(statuses))]
        created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        batch.append(
            Hazard(
                tracking_code=new_tracking_code(rng),
                category=categories[rng.randrange(len(categories))],
                description=f"{SCALE_DESCRIPTIONS[i % len(SCALE_DESCRIPTIONS)]}（{SCALE_MARK} {existing + i}）",
                severity=(severity := severities[rng.randrange(len(severities))]),
                peak_severity=severity,
                status=status if status != Status.DUPLICATE else Status.SUBMITTED,
                latitude=rng.uniform(grid.min_latitude, grid.max_latitude),
                longitude=rng.uniform(grid.min_longitude, grid.max_longitude),
                grid_id=grid.pk,
                community_id=grid.community_id,
                source=Source.DEMO,
                created_at=created,
                status_changed_at=created,
            )
        )
        if len(batch) >= 1000:
            Hazard.objects.bulk_create(batch, batch_size=1000)
            done += len(batch)
            batch = []
            bar(done)
    if batch:
        Hazard.objects.bulk_create(batch, batch_size=1000)
        done += len(batch)
        bar(done)
