"""Every /api/v1/ endpoint × every role, with the status each must get, plus object-level checks.

The endpoints come from the URL resolver: an endpoint (route and method) without a row in MATRIX
FAILS the test, so whoever adds an endpoint adds its row. Each cell runs in a savepoint that is
rolled back, so one role's successful write never changes what the next role sees.

Roles: anonymous, resident (resident1), volunteer (vol1), grid worker of ANOTHER grid (grid2; the
hazard lies in grid1's grid), dispatcher, staff of ANOTHER merchant (the code was issued at
merchant1). Bodies are valid where the role may act, so a refusal is the permission, not the input.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.security.summary import record
from tests.security.world import World

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "resident", "volunteer", "other_grid_worker", "dispatcher", "other_merchant_staff"]
A, R, V, G, D, M = ROLES  # short names for the table


def row(default: int, **overrides: int) -> dict[str, int]:
    """Expected status per role: `default` for everyone, then per-role exceptions."""
    expected = dict.fromkeys(ROLES, default)
    expected.update(overrides)
    return expected


def everyone(status: int) -> dict[str, int]:
    return row(status)


def logged_in(status: int, **overrides: int) -> dict[str, int]:
    return row(status, anonymous=401, **overrides)


def dispatcher_only(ok: int = 200, refused: int = 403) -> dict[str, int]:
    return row(refused, anonymous=401, dispatcher=ok)


def key_only() -> dict[str, int]:
    """An endpoint for machines holding an API key (X-Api-Key): no user role gets in without one."""
    return everyone(401)


def _token_body(world: World) -> dict:
    return {"username": "nobody", "password": "wrong"}


# "METHOD route" -> (body builder or None, expected statuses per role)
MATRIX: dict[str, tuple] = {
    "POST auth/token/": (_token_body, everyone(400)),
    "GET me/": (None, logged_in(200)),
    "GET grids/": (None, everyone(200)),
    "GET grids/locate/": (lambda w: {"latitude": 30.905, "longitude": 120.805}, everyone(200)),
    "POST notices/": (lambda w: {"text": "台风预警", "level": "warning", "topics": ["dispatch"]}, dispatcher_only(201)),
    # notifications (issue 22): everyone signed in has their own inbox, preferences and devices
    "GET notifications/": (None, logged_in(200)),
    "POST notifications/read-all/": (lambda w: {}, logged_in(200)),
    "GET notifications/preferences/": (None, logged_in(200)),
    "PUT notifications/preferences/": (lambda w: {"quiet_start": "22:00", "quiet_end": "07:00"}, logged_in(200)),
    "POST notifications/<int:pk>/read/": (lambda w: {}, logged_in(404)),  # someone else's: not found
    "POST push/subscriptions/": (lambda w: _push_subscription(), logged_in(201)),
    "DELETE push/subscriptions/": (lambda w: {"endpoint": _push_subscription()["endpoint"]}, logged_in(204)),
    "GET schema/": (None, everyone(200)),
    "GET docs/": (None, everyone(200)),
    # volunteers
    "GET volunteers/": (None, dispatcher_only()),
    "POST volunteers/": (
        lambda w: {"real_name": "新人", "phone": "15811112222", "community": w.grid1_grid.community_id},
        row(201, anonymous=400, volunteer=409),
    ),
    "GET volunteers/me/": (None, logged_in(404, volunteer=200)),
    "PATCH volunteers/me/": (lambda w: {"bio": "x"}, logged_in(404, volunteer=200)),
    "POST volunteers/me/certificates/": (
        lambda w: {"skill": _held_skill(w), "photo": _after_photo()},
        logged_in(404, volunteer=200),
    ),
    "POST volunteers/me/duty/": (
        lambda w: {"on_duty": True, "latitude": 30.905, "longitude": 120.805},
        logged_in(404, volunteer=200),
    ),
    "GET volunteers/me/service-records/": (None, logged_in(404, volunteer=200)),
    "POST volunteers/me/service-records/": (
        lambda w: {"minutes": 30, "served_on": "2020-01-01", "note": "x"},
        logged_in(404, volunteer=400),
    ),
    "GET volunteers/skills/": (None, everyone(200)),
    "GET volunteers/teams/": (None, everyone(200)),
    "GET volunteers/teams/<int:pk>/": (None, everyone(200)),
    # vol1 leads a team in the demo: leaders see their team and review its records (never their own).
    "GET volunteers/teams/<int:pk>/members/": (None, logged_in(403, dispatcher=200, volunteer=200)),
    "GET volunteers/service-records/": (None, logged_in(403, dispatcher=200, volunteer=200)),
    "POST volunteers/service-records/<int:pk>/approve/": (lambda w: {}, dispatcher_only()),
    "POST volunteers/service-records/<int:pk>/reject/": (lambda w: {"reason": "重复"}, dispatcher_only()),
    "GET volunteers/<int:pk>/": (None, logged_in(404, dispatcher=200)),
    "POST volunteers/<int:pk>/approve/": (lambda w: {}, dispatcher_only()),
    "POST volunteers/<int:pk>/reject/": (lambda w: {"reason": "不在本社区"}, dispatcher_only()),
    "POST volunteers/<int:pk>/suspend/": (lambda w: {"reason": "投诉"}, dispatcher_only(409)),
    "POST volunteers/<int:pk>/reinstate/": (lambda w: {}, dispatcher_only(409)),
    "POST volunteers/<int:pk>/review-skills/": (lambda w: {}, dispatcher_only()),
    # rewards
    "GET points/": (None, logged_in(200)),
    "PATCH points/": (lambda w: {"show_on_leaderboard": False}, logged_in(200)),
    "POST points/adjust/": (lambda w: {"user": w.owner.pk, "amount": 5, "reason": "奖励"}, dispatcher_only(201)),
    "GET points/rules/": (None, everyone(200)),
    "GET points/clawbacks/": (None, dispatcher_only()),
    "POST points/clawbacks/<int:pk>/resolve/": (lambda w: {}, dispatcher_only()),
    "GET leaderboard/": (None, everyone(200)),
    "GET coupons/": (None, everyone(200)),
    "GET coupons/<int:pk>/": (None, everyone(200)),
    # Anyone logged in may buy; resident1 and vol1 have demo balances, the others too few points (422).
    "POST coupons/<int:pk>/redeem/": (lambda w: {}, logged_in(422, resident=201, volunteer=201)),
    "GET redemptions/": (None, logged_in(200)),
    # merchants run their offers: their own staff propose and change them, dispatchers decide
    "GET merchant/coupons/": (None, logged_in(403, other_merchant_staff=200)),
    "POST merchant/coupons/": (lambda w: _proposal_body(w), logged_in(403, other_merchant_staff=201)),
    "PATCH merchant/coupons/<int:pk>/": (lambda w: {"stock_total": 3}, logged_in(403, other_merchant_staff=200)),
    "GET merchants/<int:pk>/statement/": (None, logged_in(403, dispatcher=200, other_merchant_staff=200)),
    "GET coupon-proposals/": (None, dispatcher_only()),
    "POST coupon-proposals/<int:pk>/approve/": (lambda w: {}, dispatcher_only()),
    "POST coupon-proposals/<int:pk>/return/": (lambda w: {"reason": "写清使用条件"}, dispatcher_only()),
    # Only merchant staff check codes; another merchant's staff learn nothing (404 like an unknown code).
    "POST redemptions/use/": (lambda w: {"code": w.redemption.code}, logged_in(403, other_merchant_staff=404)),
    # A code is its holder's alone (dispatchers work through the back office).
    "GET redemptions/<int:pk>/": (None, logged_in(404)),
    "GET redemptions/<int:pk>/qr/": (None, logged_in(404)),
    "POST redemptions/<int:pk>/cancel/": (lambda w: {}, logged_in(404, dispatcher=200)),
    # hazards
    "GET categories/": (None, everyone(200)),
    "GET hazards/": (None, logged_in(200)),
    "POST hazards/": (None, everyone(201)),  # body built per call (a fresh photo each time)
    "GET hazards.geojson": (None, logged_in(200)),
    "GET hazards/<int:pk>/": (None, logged_in(404, dispatcher=200)),
    "POST hazards/<int:pk>/triage/": (lambda w: {"decision": "accept"}, logged_in(404, dispatcher=200)),
    "POST hazards/<int:pk>/reopen/": (lambda w: {"note": "没修好"}, logged_in(404, dispatcher=409)),
    "POST hazards/<int:pk>/close/": (lambda w: {"note": "结案"}, logged_in(404, dispatcher=409)),
    "GET track/<str:tracking_code>/": (None, everyone(200)),
    # only the reporter (world.owner, none of the roles) or the browser that filed it may answer
    "POST track/<str:tracking_code>/feedback/": (lambda w: {"fixed": True, "stars": 5}, everyone(403)),
    # dispatch: the task is an offer to grid1 (none of the actors) on a triaged hazard in grid1's grid
    "GET hazards/<int:pk>/candidates/": (None, logged_in(404, dispatcher=200)),
    "POST hazards/<int:pk>/dispatch/": (lambda w: {}, logged_in(404, dispatcher=201)),
    "GET tasks/": (None, logged_in(200)),
    "GET tasks/<int:pk>/": (None, logged_in(404, dispatcher=200)),
    "POST tasks/<int:pk>/seen/": (lambda w: {}, logged_in(404)),  # only the task's own person
    "POST tasks/<int:pk>/accept/": (lambda w: {}, logged_in(404, dispatcher=403)),
    "POST tasks/<int:pk>/decline/": (lambda w: {"reason": "不在附近"}, logged_in(404, dispatcher=403)),
    "POST tasks/<int:pk>/start/": (lambda w: {}, logged_in(404, dispatcher=403)),
    "POST tasks/<int:pk>/complete/": (
        lambda w: {"note": "已处理", "photos": [_after_photo()]},
        logged_in(404, dispatcher=403),
    ),
    "POST tasks/<int:pk>/verify/": (lambda w: {"approved": True}, logged_in(404, dispatcher=409)),
    "POST tasks/<int:pk>/cancel/": (lambda w: {"reason": "重复派单"}, logged_in(404, dispatcher=200)),
    # to an approved volunteer with room for it: only a dispatcher (or grid1, not an actor here) may move it
    "POST tasks/<int:pk>/reassign/": (
        lambda w: {"assignee": _free_volunteer(), "reason": "换人"},
        logged_in(404, dispatcher=201),
    ),
    # premises: dispatchers see and edit the register; grid workers read their grids' premises (phones
    # masked); the premises in the URL lies in grid1's grid, so grid2 gets 404.
    "GET premises/": (None, logged_in(403, other_grid_worker=200, dispatcher=200)),
    "POST premises/": (lambda w: _premises_body(w), logged_in(403, dispatcher=201)),
    "GET premises/<int:pk>/": (None, logged_in(404, dispatcher=200)),
    "PATCH premises/<int:pk>/": (lambda w: {"notes": "matrix"}, logged_in(403, dispatcher=200)),
    # names and types near a point, for the report form: anyone (throttled like code lookups)
    "GET premises/nearby/": (
        lambda w: {"latitude": w.grid1_grid.min_latitude + 0.005, "longitude": w.grid1_grid.min_longitude + 0.005},
        everyone(200),
    ),
    # the submitted hazard and a premises, both in grid1's grid: grid2 sees neither (404)
    "POST hazards/<int:pk>/premises/": (
        lambda w: {"premises": _premises_in(w.grid1_grid)},
        logged_in(404, dispatcher=200),
    ),
    # sensor alerts: authenticated by an enterprise key, never by a user's login or token, so
    # every role without a key gets 401 (the key holders are in test_sensor_alerts_need_an_enterprise_key)
    "POST alerts/": (
        lambda w: {"sensor_id": "BRG-07", "metric": "temperature", "value": 92.5, "threshold": 80},
        key_only(),
    ),
    # campaigns: an active campaign over two restaurants in grid1's grid, both assigned to vol1 (an approved
    # volunteer), one of them started with every item passed; only dispatchers manage campaigns.
    "GET campaigns/": (None, logged_in(200)),
    "POST campaigns/": (
        lambda w: {
            "name": "矩阵检查",
            "grids": _campaign_world(w).campaign.selection["grids"],
            "types": ["restaurant"],
        },
        dispatcher_only(201),
    ),
    "GET campaigns/<int:pk>/": (None, logged_in(404, dispatcher=200, volunteer=200)),
    "POST campaigns/<int:pk>/activate/": (lambda w: {}, dispatcher_only(409)),
    "POST campaigns/<int:pk>/close/": (lambda w: {}, dispatcher_only(200)),
    "POST campaigns/<int:pk>/assign/": (
        lambda w: {"inspector": w.users[V].pk, "premises": [_campaign_world(w).pending.premises_id]},
        dispatcher_only(200),
    ),
    # Taking back the not-yet-started premises from vol1: dispatchers only.
    "POST campaigns/<int:pk>/unassign/": (
        lambda w: {"premises": [_campaign_world(w).pending.premises_id], "reason": "矩阵"},
        dispatcher_only(200),
    ),
    "GET campaigns/<int:pk>/premises/": (None, logged_in(404, dispatcher=200, volunteer=200)),
    "GET campaigns/<int:pk>/findings/": (None, logged_in(404, dispatcher=200, volunteer=200)),
    "GET inspections/mine/": (None, logged_in(200)),
    # Only the assigned inspector starts, records and submits; a dispatcher sees it but may not fill it in.
    "POST inspections/": (
        lambda w: {"entry": _campaign_world(w).pending.pk},
        logged_in(404, volunteer=201, dispatcher=403),
    ),
    "GET inspections/<int:pk>/": (None, logged_in(404, dispatcher=200, volunteer=200)),
    "POST inspections/<int:pk>/results/": (
        lambda w: {"item": _campaign_world(w).item.pk, "outcome": "pass"},
        logged_in(404, volunteer=200, dispatcher=403),
    ),
    "POST inspections/<int:pk>/submit/": (lambda w: {}, logged_in(404, volunteer=200, dispatcher=403)),
}


def api_endpoints() -> list[tuple[str, str]]:
    """(METHOD, route under api/v1/) for every view method the resolver serves."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.callback

    found = []
    for route, callback in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        methods = [m for m in ("get", "post", "put", "patch", "delete") if view is not None and hasattr(view, m)]
        if view is None:
            methods = ["get"]
        found += [(m.upper(), route.removeprefix("api/v1/")) for m in methods]
    return found


def _push_subscription() -> dict:
    return {
        "endpoint": "https://push.example.org/send/matrix",
        "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1", "auth": "tBHItJI5svbpez7KI4CCXg"},
    }


def _someone_elses_notification() -> int:
    from govern.models import Notification
    from tests.factories import UserFactory

    return Notification.objects.create(user=UserFactory(), event_id=0, kind="dispatcher_notice", channel="inbox").pk


def fill(route: str, world: World) -> str:
    ids = {
        "notifications/<int:pk>": _someone_elses_notification() if route.startswith("notifications/<") else 0,
        "volunteers/teams/<int:pk>": world.application.team_id or _any_team(),
        "volunteers/service-records/<int:pk>": world.own_record.pk,
        "volunteers/<int:pk>": world.application.pk,
        "coupons/<int:pk>": world.redemption.coupon_id,
        "merchant/coupons/<int:pk>": _proposal(world) if route.startswith("merchant/coupons/<") else 0,
        "coupon-proposals/<int:pk>": _proposal(world) if route.startswith("coupon-proposals/<") else 0,
        "merchants/<int:pk>": _other_merchant(world).pk,
        "points/clawbacks/<int:pk>": _clawback(world) if route.startswith("points/clawbacks/<") else 0,
        "redemptions/<int:pk>": world.redemption.pk,
        "hazards/<int:pk>/candidates": world.task.hazard_id,
        "hazards/<int:pk>/dispatch": world.task.hazard_id,
        "hazards/<int:pk>": world.hazard.pk,
        "tasks/<int:pk>": world.task.pk,
        "premises/<int:pk>": _premises_in(world.grid1_grid),
        "campaigns/<int:pk>": _campaign_world(world).campaign.pk if route.startswith("campaigns/<") else 0,
        "inspections/<int:pk>": _campaign_world(world).inspection.pk if route.startswith("inspections/<") else 0,
    }
    for prefix, value in ids.items():
        if route.startswith(prefix):
            route = route.replace("<int:pk>", str(value), 1)
    return "/api/v1/" + route.replace("<str:tracking_code>", world.hazard.tracking_code)


def _other_merchant(world: World):
    """The merchant the `other_merchant_staff` actor works for (not the one that issued the code)."""
    from rewards.models import Merchant

    return Merchant.objects.get(staff=world.users[M])


def _proposal_body(world: World) -> dict:
    from django.utils import timezone

    now = timezone.now()
    return {
        "merchant": _other_merchant(world).pk,
        "title": "矩阵券",
        "cost": 10,
        "stock_total": 5,
        "valid_from": now.isoformat(),
        "valid_until": (now + dt.timedelta(days=5)).isoformat(),
    }


def _proposal(world: World) -> int:
    """An offer waiting for a dispatcher, proposed by the other merchant's staff member."""
    cached = getattr(world, "_proposal", None)
    if cached is None:
        from rewards.proposals import coupon_propose

        body = _proposal_body(world)
        body["valid_from"] = dt.datetime.fromisoformat(body["valid_from"])
        body["valid_until"] = dt.datetime.fromisoformat(body["valid_until"])
        cached = world._proposal = coupon_propose(actor=world.users[M], merchant_id=body.pop("merchant"), **body).pk
    return cached


def _clawback(world: World) -> int:
    """An open shortfall of the owner's (a reopened verification after the points were spent)."""
    from rewards.models import EarningRule, PointsAward, PointsClawback

    cached = getattr(world, "_clawback", None)
    if cached is None:
        award = PointsAward.objects.create(
            rule=EarningRule.objects.get(code="task_verified"),
            user=world.owner,
            source_type="hazards.task",
            source_id="matrix",
            points_due=20,
            points_paid=0,
        )
        cached = world._clawback = PointsClawback.objects.create(
            award=award, points_paid=20, points_taken=0, shortfall=20, reason="matrix"
        ).pk
    return cached


def _campaign_world(world: World):
    """The campaign objects of the matrix, built once per world (see the rows above)."""
    cached = getattr(world, "_campaign", None)
    if cached is None:
        from tests.premises.campaign_helpers import campaign_world

        cached = world._campaign = campaign_world(world)
    return cached


def _held_skill(world: World) -> str:
    """A skill the volunteer of the matrix (vol1) claims."""
    from volunteers.models import VolunteerSkill

    return VolunteerSkill.objects.filter(volunteer__user=world.users[V]).values_list("skill__slug", flat=True)[0]


def _after_photo():
    from tests.hazards.images import jpeg_bytes, upload

    return upload("after.jpg", jpeg_bytes(size=(80, 60)))


def _premises_in(grid) -> int:
    from hazards.premises.models import Premises

    return Premises.objects.filter(grid=grid).order_by("pk").values_list("pk", flat=True).first()


def _premises_body(world: World) -> dict:
    return {
        "code": "MATRIX-1",
        "name": "矩阵饭店",
        "type": "restaurant",
        "address": "文化路999号",
        "latitude": world.grid1_grid.min_latitude + 0.005,
        "longitude": world.grid1_grid.min_longitude + 0.005,
        "responsible_name": "矩阵",
        "responsible_phone": "13912340000",
    }


def _free_volunteer() -> int:
    """An approved volunteer under their task limit (the demo keeps vol1 busy)."""
    from hazards.dispatch.candidates import busy_counts
    from volunteers.models import Volunteer, VolunteerStatus

    approved = list(Volunteer.objects.filter(status=VolunteerStatus.APPROVED).order_by("pk"))
    busy = busy_counts([v.user_id for v in approved])
    return next(v.user_id for v in approved if busy.get(v.user_id, 0) < v.max_active_tasks)


def _any_team() -> int:
    from volunteers.models import Team

    return Team.objects.order_by("pk").values_list("pk", flat=True).first()


def hazard_form(world: World) -> dict:
    from tests.hazards.images import jpeg_bytes, upload

    return {
        "category": "gas-safety",
        "description": "matrix report",
        "latitude": str(world.grid1_grid.min_latitude + 0.002),
        "longitude": str(world.grid1_grid.min_longitude + 0.002),
        "photos": [upload("r.jpg", jpeg_bytes(size=(80, 60)))],
    }


_keys = itertools.count(1)


class Rollback(Exception):
    pass


def call(client: APIClient, method: str, url: str, body) -> tuple[int, bytes]:
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, body or {})
            elif method == "POST" and isinstance(body, dict) and ("photos" in body or "photo" in body):
                response = client.post(url, body, format="multipart")
            else:
                response = getattr(client, method.lower())(
                    url, body or {}, format="json", HTTP_IDEMPOTENCY_KEY=f"matrix-{next(_keys)}"
                )
            raise Rollback
    except Rollback:
        pass
    return response.status_code, b"".join(response) if response.streaming else response.content


def test_every_api_endpoint_has_a_row():
    missing = [f"{m} {r}" for m, r in api_endpoints() if f"{m} {r}" not in MATRIX]
    assert not missing, f"add these endpoints to MATRIX in {__file__}: {missing}"
    stale = set(MATRIX) - {f"{m} {r}" for m, r in api_endpoints()}
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


def test_authorization_matrix(world):
    clients = {role: (APIClient() if user is None else client_for(user)) for role, user in world.users.items()}
    mismatches, tried = [], 0
    for method, route in api_endpoints():
        key = f"{method} {route}"
        if key not in MATRIX:
            continue  # reported by test_every_api_endpoint_has_a_row
        builder, expected = MATRIX[key]
        url = fill(route, world)
        for role in ROLES:
            body = hazard_form(world) if key == "POST hazards/" else (builder(world) if builder else None)
            got, content = call(clients[role], method, url, body)
            tried += 1
            if got != expected[role]:
                mismatches.append(f"{key:<52} {role:<22} expected {expected[role]} got {got}")
            # The reporter's phone reaches dispatchers only (and the owner, who is not an actor here).
            elif role != D and world.owner.phone.encode() in content:
                mismatches.append(f"{key:<52} {role:<22} answer contains the reporter's phone")
    record("2 authorization matrix cells", tried=tried, passed=tried - len(mismatches))
    print(f"authorization matrix: {tried} cells, {tried - len(mismatches)} as expected")
    assert not mismatches, "\n".join(mismatches)
