"""Demo premises register for `seed_demo`: 69 small restaurants along Wenhua Road (文化路), which
crosses the first two grids of 黎里社区, a few shops and workshops, and two enterprises — a steel
plant in 芦墟社区's first grid (safety officer: demo account `safety1`) and a logistics warehouse
next to it (`safety2`). Three demo reports that are about a premises are linked to it, so premises
pages show a hazard history.

Deterministic and idempotent: premises by register code, links by hazard (premises_link_hazard is
idempotent).
"""

from __future__ import annotations

from govern.demo import CELL_LAT, CELL_LNG, ORIGIN_LAT, ORIGIN_LNG, DemoContext
from hazards.models import Hazard
from hazards.premises.models import HazardOrigin, Premises
from hazards.premises.services import premises_create, premises_link_hazard

WENHUA_ROAD = "文化路"
RESTAURANT_COUNT = 69

_PREFIXES = [
    "老王",
    "川味",
    "兰州",
    "沙县",
    "阿婆",
    "江南",
    "东北",
    "湘味",
    "重庆",
    "汾湖",
    "黎里",
    "好再来",
    "小杨",
    "金牌",
    "渔家",
    "徽州",
    "苏式",
    "老街",
    "福满",
    "鸿运",
    "开心",
    "阿强",
    "蜀香",
]
_KINDS = ["面馆", "小吃", "饭店", "快餐", "烧烤", "馄饨铺"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = ["建国", "秀英", "志强", "丽华", "海波", "春梅", "国平", "小燕", "明", "芳", "伟", "静", "军"]


def _restaurant(i: int) -> dict:
    """The i-th restaurant along Wenhua Road (west to east, odd numbers on the north side)."""
    number = 2 * i + 1
    north = i % 2 == 0
    name = f"{_PREFIXES[i % len(_PREFIXES)]}{_KINDS[(i // len(_PREFIXES) + i) % len(_KINDS)]}"
    owner = f"{_SURNAMES[i % len(_SURNAMES)]}{_GIVEN[(i * 7) % len(_GIVEN)]}"
    phone = f"1395120{i:04d}"
    return {
        "code": f"WH-R{i + 1:03d}",
        "name": f"{name}（文化路{number}号）",
        "type": "restaurant",
        "address": f"黎里镇文化路{number}号",
        "street": WENHUA_ROAD,
        # From 120.80155 to 120.81855 east: grid 1 of 黎里社区 to the west of 120.81, grid 2 east of it.
        "latitude": round(ORIGIN_LAT + 0.0050 + (0.0002 if north else -0.0002), 6),
        "longitude": round(ORIGIN_LNG + 0.00155 + i * 0.00025, 6),
        "contact_name": owner,
        "contact_phone": phone,
        "responsible_name": owner,
        "responsible_phone": phone,
    }


def _cell(grid_index: int, d_lat: float, d_lng: float) -> tuple[float, float]:
    """A point inside the demo grid with this index (as govern.demo lays them out)."""
    community, local = divmod(grid_index, 4)
    col, row = community * 2 + local % 2, local // 2
    return round(ORIGIN_LAT + row * CELL_LAT + d_lat, 6), round(ORIGIN_LNG + col * CELL_LNG + d_lng, 6)


# code, name, type, address, street, grid index, (d_lat, d_lng), responsible, mobile, account, demo report it raised
OTHERS = [
    (
        "LL-R038",
        "黎里老街38号小饭店",
        "restaurant",
        "黎里镇黎里老街38号",
        "黎里老街",
        0,
        (0.0042, 0.0031),
        "沈阿姨",
        "13951210038",
        None,
        "黎里老街38号小饭店后厨",
    ),
    (
        "LX-R012",
        "老街烧烤",
        "restaurant",
        "芦墟镇东港路12号",
        "东港路",
        4,
        (0.0152, 0.0027),
        "朱老板",
        "13951220012",
        None,
        "烧烤店排烟管",
    ),
    (
        "WH-S001",
        "文化路便利店",
        "shop",
        "黎里镇文化路2号",
        WENHUA_ROAD,
        0,
        (0.0046, 0.0012),
        "钱晓梅",
        "13951230001",
        None,
        None,
    ),
    (
        "WH-S002",
        "汾湖五金建材",
        "shop",
        "黎里镇文化路140号",
        WENHUA_ROAD,
        1,
        (0.0046, 0.0089),
        "蒋国华",
        "13951230002",
        None,
        None,
    ),
    (
        "LX-S006",
        "芦墟五金店",
        "shop",
        "芦墟镇北港路6号",
        "北港路",
        6,
        (0.0135, 0.0033),
        "韩卫东",
        "13951230006",
        None,
        "五金店门口堆放",
    ),
    (
        "LL-S021",
        "黎里菜场副食品店",
        "shop",
        "黎里镇黎里老街21号",
        "黎里老街",
        1,
        (0.0090, 0.0050),
        "冯丽",
        "13951230021",
        None,
        None,
    ),
    (
        "WH-W001",
        "文化路电动车维修铺",
        "workshop",
        "黎里镇文化路158号",
        WENHUA_ROAD,
        1,
        (0.0053, 0.0093),
        "魏强",
        "13951240001",
        None,
        None,
    ),
    (
        "LL-W002",
        "黎里木器加工坊",
        "workshop",
        "黎里镇北窑路8号",
        "北窑路",
        2,
        (0.0061, 0.0044),
        "陶建军",
        "13951240002",
        None,
        None,
    ),
    (
        "BS-W003",
        "北厍不锈钢加工作坊",
        "workshop",
        "北厍镇工业路3号",
        "工业路",
        8,
        (0.0072, 0.0051),
        "姜海",
        "13951240003",
        None,
        None,
    ),
    (
        "91320509MA1FENHU01",
        "汾湖特钢有限公司",
        "enterprise",
        "芦墟镇汾湖大道1888号",
        "汾湖大道",
        4,
        (0.0046, 0.0075),
        "安全科 马工",
        "13500000001",
        "safety1",
        None,
    ),
    (
        "91320509MA1FENHU02",
        "芦墟物流仓储中心",
        "enterprise",
        "芦墟镇汾湖大道2066号",
        "汾湖大道",
        5,
        (0.0052, 0.0040),
        "仓储安全员 许工",
        "13500000002",
        "safety2",
        None,
    ),
]


def register_values() -> list[tuple[dict, str | None]]:
    """Every demo premises as premises_create keywords, with the demo report (description start) it raised."""
    rows: list[tuple[dict, str | None]] = [(_restaurant(i), None) for i in range(RESTAURANT_COUNT)]
    for code, name, type_slug, address, street, grid_index, (d_lat, d_lng), person, mobile, account, report in OTHERS:
        latitude, longitude = _cell(grid_index, d_lat, d_lng)
        values = {
            "code": code,
            "name": name,
            "type": type_slug,
            "address": address,
            "street": street,
            "latitude": latitude,
            "longitude": longitude,
            "contact_name": person,
            "contact_phone": mobile,
            "responsible_name": person,
            "responsible_phone": mobile,
            "responsible_user": account,
        }
        rows.append((values, report))
    return rows


def seed(ctx: DemoContext) -> None:
    admin = ctx.users["admin"]
    existing = set(Premises.objects.values_list("code", flat=True))
    created = 0
    links: list[tuple[str, str]] = []
    for values, report in register_values():
        values = dict(values)
        account = values.pop("responsible_user", None)
        if account:
            values["responsible_user"] = ctx.users[account].pk
        if values["code"] not in existing:
            premises_create(actor=admin, **values)
            created += 1
        if report:
            links.append((values["code"], report))
    by_code = dict(Premises.objects.filter(code__in=[c for c, _r in links]).values_list("code", "pk"))
    for code, report in links:
        hazard = Hazard.objects.filter(description__startswith=report).order_by("pk").first()
        if hazard is not None:
            premises_link_hazard(premises_id=by_code[code], hazard_id=hazard.pk, origin=HazardOrigin.REPORT)
    ctx.log(
        f"Premises: {Premises.objects.count()} registered ({created} new), "
        f"{RESTAURANT_COUNT} restaurants along {WENHUA_ROAD}."
    )
