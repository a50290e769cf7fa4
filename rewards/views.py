"""Pages of the rewards app: wallet, shop, merchant check, leaderboard. Thin: selectors to read,
services to write, domain errors shown as messages (govern.pages)."""

from __future__ import annotations

import secrets

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import Throttled

from govern.live import current_event_id
from govern.pages import flash_errors, page_errors
from rewards import conf, ledger, redemptions, selectors
from rewards.api import CodeLookupThrottle
from rewards.audience import audience_badge, audience_refusal, member_of
from rewards.expiry import next_expiry
from rewards.models import EntryKind, RedemptionStatus
from rewards.words import rule_sentence

WALLET_ENTRIES_PER_PAGE = 30
WALLET_REDEMPTIONS = 50


def _labels() -> dict:
    """Translated words the page scripts need (no JavaScript catalog needed for a handful)."""
    return {
        "status": {choice.value: str(choice.label) for choice in RedemptionStatus},
        "kind": {choice.value: str(choice.label) for choice in EntryKind},
        "text": {
            "redeemed": _("Redeemed! Your code:"),
            "toWallet": _("Show it from My coupons"),
            "network": _("No connection. Tap again: the same request is retried, you will not pay twice."),
            "accepted": _("Accepted"),
            "usedAt": _("used at"),
            "left": _("%(left)s of %(total)s left"),
            "cameraFailed": _("The camera is not available; type the code instead."),
            "working": _("Please wait…"),
        },
    }


def _coupon_state(coupon, account, now, member) -> str:
    """Which button the shop shows; the service decides for real when it is pressed."""
    if account is None:
        return "login"
    if audience_refusal(coupon, member, team_ids={t.pk for t in coupon.audience_teams.all()}) is not None:
        return "not_eligible"
    if now < coupon.valid_from:
        return "soon"
    if coupon.stock_remaining <= 0:
        return "sold_out"
    if coupon.redeemed_by_me >= coupon.per_user_limit:
        return "limit"
    if account.balance < coupon.cost:
        return "poor"
    return "ok"


def _qr_data_uri(code: str) -> str:
    return segno.make(code, error="m", micro=False).svg_data_uri(scale=6, border=2)


@login_required
def wallet(request):
    last_event_id = current_event_id()
    account = selectors.points_account_get(user=request.user)
    entries = Paginator(selectors.points_entry_list(user=request.user), WALLET_ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    codes = list(selectors.redemption_list(user=request.user)[:WALLET_REDEMPTIONS])
    for redemption in codes:
        if redemption.status == RedemptionStatus.ISSUED and not redemption.is_overdue:
            redemption.qr_data_uri = _qr_data_uri(redemption.code)
    context = {
        "account": account,
        "entries": entries,
        "redemptions": codes,
        "earned_today": selectors.points_earned_today(user=request.user),
        "daily_cap": conf.daily_cap(),
        "next_expiry": next_expiry(account=account),
        "rules": [{"name": rule.name, "sentence": rule_sentence(rule)} for rule in selectors.earning_rule_list()],
        "last_event_id": last_event_id,
        "highlight": request.GET.get("new", ""),
        "labels": _labels(),
    }
    return render(request, "rewards/wallet.html", context)


@login_required
@require_POST
def wallet_leaderboard(request):
    show = request.POST.get("show_on_leaderboard") == "on"
    ledger.points_account_set_leaderboard(user_id=request.user.pk, show=show)
    messages.success(
        request,
        _("Your name now shows on the leaderboard.") if show else _("The leaderboard now shows you anonymously."),
    )
    return redirect("rewards-wallet")


@login_required
@require_POST
def wallet_cancel(request, pk: int):
    with flash_errors(request):
        redemptions.redemption_cancel(redemption_id=pk, actor=request.user)
        messages.success(request, _("Code cancelled: the points are back in your wallet."))
    return redirect("rewards-wallet")


def shop(request):
    account = selectors.points_account_get(user=request.user) if request.user.is_authenticated else None
    last_event_id = current_event_id()
    coupons = list(selectors.coupon_list(user=request.user))
    member = member_of(request.user.pk) if account is not None else None
    now = timezone.now()
    for coupon in coupons:
        coupon.state = _coupon_state(coupon, account, now, member)
        coupon.badge = audience_badge(coupon, team_names=[t.name for t in coupon.audience_teams.all()])
        # A key per rendered offer: submitting the same page twice (no-JS path) redeems once.
        coupon.form_key = secrets.token_urlsafe(16)
    context = {
        "account": account,
        "coupons": coupons,
        "last_event_id": last_event_id,
        "labels": _labels(),
    }
    return render(request, "rewards/shop.html", context)


@login_required
@require_POST
def shop_redeem(request, pk: int):
    """The no-JS path of the shop's redeem button (the JS path calls the API)."""
    with flash_errors(request):
        result = redemptions.redemption_create(
            user_id=request.user.pk, coupon_id=pk, idempotency_key=request.POST.get("idempotency_key")
        )
        messages.success(
            request, _("Redeemed! Show this code at the shop: %(code)s") % {"code": result.redemption.display_code}
        )
        return redirect(f"/wallet/?new={result.redemption.pk}#redemption-{result.redemption.pk}")
    return redirect("rewards-shop")


def _merchant_page(request, merchants, *, result=None, error=None, status=200):
    context = {
        "merchants": merchants,
        "recent": list(selectors.merchant_recent_uses(merchant_ids=[m.pk for m in merchants])),
        "result": result,
        "error": error,
        "code": request.POST.get("code", "") if request.method == "POST" else "",
        "labels": _labels(),
    }
    return render(request, "rewards/merchant.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def merchant(request):
    """The code check page for a merchant's staff (the JS path calls the API; this POST is the
    no-JS path and is throttled the same way)."""
    merchants = selectors.merchants_of_staff(user=request.user)
    if not merchants:
        return HttpResponseForbidden(render_to_string("rewards/not_staff.html", request=request))
    if request.method == "GET":
        return _merchant_page(request, merchants)
    throttle = CodeLookupThrottle()
    if not throttle.allow_request(request, _ThrottleScope):
        wait = throttle.wait()
        error = Throttled(wait=wait).detail
        response = _merchant_page(request, merchants, error=str(error), status=429)
        if wait is not None:
            response["Retry-After"] = str(int(wait) + 1)
        return response
    with page_errors() as failed:
        redemption = redemptions.redemption_use(code=request.POST.get("code", ""), actor=request.user)
        return _merchant_page(request, merchants, result=redemption)
    return _merchant_page(request, merchants, error=failed.message, status=failed.status_code)


class _ThrottleScope:
    throttle_scope = "code_lookup"


def leaderboard(request):
    period = request.GET.get("period", "month")
    board = selectors.leaderboard_get(period=period, viewer=request.user)
    account = selectors.points_account_get(user=request.user) if request.user.is_authenticated else None
    return render(request, "rewards/leaderboard.html", {"board": board, "account": account})
