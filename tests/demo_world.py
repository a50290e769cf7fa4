"""The demo district with a little of everything on it, and every page each demo account uses.

`seed_world()` runs `seed_demo`, then through the public API adds what the demo leaves out: a
sensor alert (the safety officer's page), an inspection in progress (the inspector's checklist),
one coupon code waiting in a wallet and one accepted by the merchant. `pages_for(world, who)`
lists the pages of that account: its home, everything its menu offers, the detail pages behind
them, and an error page or two. The page tests (Chinese text, accessibility) walk this list, so
a page added to a role's menu is checked without touching them.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass

from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from govern.models import User
from govern.navigation import Navigation

ACCOUNTS = ("anonymous", "resident1", "vol1", "grid1", "merchant1", "safety1", "dispatcher", "admin")
DEMO_PASSWORD = "govern-demo"


@dataclass
class World:
    tracking_code: str
    hazard_id: int  # a rectified hazard when the demo has one (the back office's hazard page)
    team_id: int
    premises_id: int
    enterprise_id: int
    campaign_id: int
    inspection_id: int
    certificate_code: str  # vol1's certificate of service hours
    proposal_id: int  # an offer merchant1 proposed, waiting for a dispatcher


def _api(username: str | None) -> APIClient:
    client = APIClient()
    if username:
        client.force_authenticate(User.objects.get(username=username))
    return client


def _ok(response, *codes: int):
    assert response.status_code in codes, (response.status_code, response.content[:500])
    return response.json()


def seed_world() -> World:
    from hazards.models import Hazard
    from hazards.premises.models import Campaign, CampaignPremises, Premises
    from rewards.models import Coupon, Merchant
    from volunteers.models import Team
    from volunteers.recognition import certificate_issue

    call_command("seed_demo", stdout=io.StringIO())
    alert = _api(None).post(
        "/api/v1/alerts/",
        {
            "sensor_id": "BRG-07",
            "metric": "temperature",
            "value": 92.5,
            "threshold": 80,
            "message": "2号轧机轴承温度高",
        },
        format="json",
        HTTP_X_API_KEY="govern-demo-sensor",
    )
    _ok(alert, 201)
    entry = CampaignPremises.objects.filter(inspector__username="grid1").order_by("id").first()
    inspection = _ok(_api("grid1").post("/api/v1/inspections/", {"entry": entry.pk}, format="json"), 200, 201)
    coupons = list(Coupon.objects.filter(active=True).order_by("cost", "id")[:2])
    codes = []
    for coupon in coupons:
        body = _ok(
            _api("vol1").post(f"/api/v1/coupons/{coupon.pk}/redeem/", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex),
            200,
            201,
        )
        codes.append(body["code"])
    _ok(_api("merchant1").post("/api/v1/redemptions/use/", {"code": codes[0]}, format="json"), 200)
    merchant = Merchant.objects.filter(staff__username="merchant1").order_by("id").first()
    now = timezone.now()
    proposal = _api("merchant1").post(
        "/api/v1/merchant/coupons/",
        {
            "merchant": merchant.pk,
            "title": "周末洗车立减10元",
            "description": "凭券到店，周末可用",
            "cost": 80,
            "stock_total": 30,
            "valid_from": now.isoformat(),
            "valid_until": (now + dt.timedelta(days=30)).isoformat(),
            "audience": "volunteers",
        },
        format="json",
    )
    vol1 = User.objects.get(username="vol1")
    certificate = certificate_issue(actor=vol1, volunteer_id=vol1.volunteer.pk)
    enterprise = Premises.objects.get(responsible_user__username="safety1")
    return World(
        tracking_code=Hazard.objects.order_by("id").values_list("tracking_code", flat=True).first(),
        hazard_id=Hazard.objects.order_by("-status", "id")
        .filter(status__in=["rectified", "verified", "in_progress"])
        .values_list("id", flat=True)
        .first()
        or Hazard.objects.order_by("id").values_list("id", flat=True).first(),
        team_id=Team.objects.order_by("id").values_list("id", flat=True).first(),
        premises_id=Premises.objects.exclude(type__slug="enterprise")
        .order_by("id")
        .values_list("id", flat=True)
        .first(),
        enterprise_id=enterprise.pk,
        campaign_id=Campaign.objects.order_by("id").values_list("id", flat=True).first(),
        inspection_id=inspection["id"],
        certificate_code=certificate.code,
        proposal_id=_ok(proposal, 201)["id"],
    )


def _exists(path: str) -> bool:
    try:
        resolve(path.split("#")[0].split("?")[0])
    except Resolver404:
        return False
    return True


def menu_paths(user) -> list[str]:
    """Every page the account's home and menu link to (that this build has: the grid workers'
    queue arrives with its own change)."""
    nav = Navigation(user)
    urls = [e.url.split("#")[0] for s in nav.sections for e in s.entries]
    return [u for u in urls if _exists(u) and not u.startswith("/admin/")]  # Django's admin is not ours


EXTRA = {
    "anonymous": [
        "/accounts/login/",
        "/accounts/signup/",
        "/volunteers/apply/",
        "/leaderboard/",
        "/volunteers/teams/",
        "/verify/certificate/",
        "/verify/certificate/{certificate_code}/",
        "/verify/certificate/NOSUCHCERTIFICATE/",
    ],
    "resident1": [
        "/leaderboard/",
        "/volunteers/apply/",
        "/office/",
        "/premises/",
        "/me/notifications/",
        "/me/notifications/preferences/",
    ],
    "vol1": [
        "/volunteers/me/",
        "/leaderboard/",
        "/volunteers/teams/{team_id}/",
        "/inspections/",
        "/volunteers/certificates/{certificate_code}/",
    ],
    "grid1": ["/inspections/{inspection_id}/", "/premises/{premises_id}/"],
    "merchant1": ["/wallet/", "/merchant/offers/{proposal_id}/", "/merchant/statement/?month=2000-01"],
    "safety1": ["/premises/{enterprise_id}/"],
    "dispatcher": [
        "/office/hazards/{hazard_id}/",
        "/office/campaigns/{campaign_id}/",
        "/premises/{premises_id}/",
        "/premises/import/",
        "/premises/new/",
        "/premises/{premises_id}/edit/",
        "/premises/{enterprise_id}/keys/",
        "/volunteers/teams/{team_id}/",
        "/live/status/",
        "/sensors/",
        "/office/coupon-proposals/?review=all",
        "/office/clawbacks/?state=all",
    ],
    "admin": ["/office/hazards/{hazard_id}/", "/office/campaigns/{campaign_id}/", "/premises/{enterprise_id}/"],
}


def work_paths(who: str) -> set[str]:
    """The pages of the account's own work: the first section of its home and menu. Each account's
    rendering of these differs from another's (the dispatcher's /office/ is the board, a resident's
    is a refusal), so the walks check them under every account that has them."""
    if who == "anonymous":
        return set()
    sections = Navigation(User.objects.get(username=who)).sections
    return {e.url.split("#")[0] for e in sections[0].entries if _exists(e.url)} if sections else set()


def pages_for(world: World, who: str) -> list[str]:
    user = None if who == "anonymous" else User.objects.get(username=who)
    paths = ["/", *menu_paths(user)] if user else ["/", *menu_paths(None)]
    paths += [p.format(**world.__dict__) for p in EXTRA.get(who, [])]
    paths += [f"/track/{world.tracking_code}/", "/track/?code=NOSUCHCODE", "/no-such-page/"]
    seen, out = set(), []
    for path in paths:
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out
