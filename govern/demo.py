"""Demo district for `seed_demo`: Fenhu town (汾湖镇), Wujiang district, Suzhou.

Three communities, each a strip split into four grids, so that twelve grid polygons tile one
real area without gaps. Deterministic: the same run twice gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group

from govern.models import Community, Grid, User
from govern.roles import DISPATCHER, GRID_WORKER, MERCHANT_STAFF, RESIDENT, VOLUNTEER
from govern.services import grid_save

DEMO_PASSWORD = "govern-demo"

# South-west corner and cell size of the demo area (degrees).
ORIGIN_LAT, ORIGIN_LNG = 30.900, 120.800
CELL_LAT, CELL_LNG = 0.020, 0.010

COMMUNITIES = [
    ("lili", "黎里社区"),
    ("luxu", "芦墟社区"),
    ("beishe", "北厍社区"),
]

# username -> (roles, phone, display name)
DEMO_ACCOUNTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "dispatcher": ((DISPATCHER,), "13800000001", "指挥室 王警官"),
    "grid1": ((GRID_WORKER,), "13800000011", "网格员 李敏"),
    "grid2": ((GRID_WORKER,), "13800000012", "网格员 周强"),
    "vol1": ((RESIDENT, VOLUNTEER), "13900000001", "志愿者 陈一"),
    "vol2": ((RESIDENT, VOLUNTEER), "13900000002", "志愿者 张二"),
    "vol3": ((RESIDENT, VOLUNTEER), "13900000003", "志愿者 孙三"),
    "vol4": ((RESIDENT, VOLUNTEER), "13900000004", "志愿者 吴四"),
    "vol5": ((RESIDENT, VOLUNTEER), "13900000005", "志愿者 郑五"),
    "merchant1": ((MERCHANT_STAFF,), "13700000001", "汾湖小厨 店长"),
    "resident1": ((RESIDENT,), "13600000001", "居民 刘阿姨"),
    # Enterprise safety officers (安全员): the responsible persons of the demo steel plant and warehouse.
    "safety1": ((RESIDENT,), "13500000001", "汾湖特钢 安全员 马工"),
    "safety2": ((RESIDENT,), "13500000002", "芦墟仓储 安全员 许工"),
}


@dataclass
class DemoContext:
    """What the kernel seeded, handed to each app's `demo.seed(ctx)`."""

    users: dict[str, User] = field(default_factory=dict)
    communities: list[Community] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    log: callable = print


def _cell_polygon(col: int, row: int) -> dict:
    west = round(ORIGIN_LNG + col * CELL_LNG, 6)
    east = round(west + CELL_LNG, 6)
    south = round(ORIGIN_LAT + row * CELL_LAT, 6)
    north = round(south + CELL_LAT, 6)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def seed_accounts(ctx: DemoContext) -> None:
    groups = {g.name: g for g in Group.objects.all()}
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD, display_name="管理员")
    ctx.users["admin"] = admin
    for username, (roles, phone, display_name) in DEMO_ACCOUNTS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, password=DEMO_PASSWORD, phone=phone, display_name=display_name)
        user.groups.add(*(groups[r] for r in roles))
        ctx.users[username] = user


def seed_geography(ctx: DemoContext) -> None:
    for index, (code, name) in enumerate(COMMUNITIES):
        community, _ = Community.objects.get_or_create(code=code, defaults={"name": name})
        ctx.communities.append(community)
        for local in range(4):
            col = index * 2 + local % 2
            row = local // 2
            grid_code = f"{code}-{local + 1}"
            existing = Grid.objects.filter(code=grid_code).first()
            grid = grid_save(
                grid=existing,
                community=community,
                code=grid_code,
                name=f"{name}第{local + 1}网格",
                boundary=_cell_polygon(col, row),
            )
            ctx.grids.append(grid)
    # grid1 and grid2 own two different grids (in two different communities).
    ctx.grids[0].workers.add(ctx.users["grid1"])
    ctx.grids[4].workers.add(ctx.users["grid2"])


DEMO_OPEN311_KEY = "govern-demo-open311"


def seed_api_clients(ctx: DemoContext) -> None:
    from govern.api_keys import api_client_for_key, api_client_issue

    if api_client_for_key(DEMO_OPEN311_KEY) is None:
        api_client_issue(name="示例第三方应用（12345 热线）", raw_key=DEMO_OPEN311_KEY)


def demo_bounds() -> tuple[float, float, float, float]:
    """(min_lat, min_lng, max_lat, max_lng) of the whole demo district."""
    return (ORIGIN_LAT, ORIGIN_LNG, ORIGIN_LAT + 2 * CELL_LAT, ORIGIN_LNG + 6 * CELL_LNG)
