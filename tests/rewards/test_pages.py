"""Page tests: wallet, shop (no-JS path too), merchant check, leaderboard, admin actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from govern.roles import DISPATCHER, MERCHANT_STAFF, RESIDENT
from rewards import ledger, redemptions
from rewards.models import PointsAccount, PointsEntry, Redemption
from tests.factories import UserFactory
from tests.rewards.conftest import assert_ledger_consistent, balance_of, fund, make_coupon, make_merchant

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def test_pages_need_login(client):
    for path in ("/wallet/", "/merchant/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/shop/").status_code == 200
    assert client.get("/leaderboard/").status_code == 200


def test_wallet_shows_balance_history_and_codes_with_qr(client, resident, coupon, staff_user):
    fund(resident, 250)
    issued = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    html = logged_in(client, resident).get("/wallet/").content.decode()
    assert 'id="balance" data-balance="150"' in html
    assert issued.display_code in html and "data:image/svg+xml" in html
    assert f'data-redemption-id="{issued.pk}"' in html and 'data-status="issued"' in html
    assert "积分明细" in html and "test funding" in html
    assert 'data-last-event-id="' in html and 'data-last-event-id="0"' not in html
    assert 'src="/static/js/rewards/wallet.js"' in html and "<script>" not in html.replace(
        '<script id="rewards-labels" type="application/json">', ""
    )
    redemptions.redemption_use(code=issued.code, actor=staff_user)
    html = client.get("/wallet/").content.decode()
    assert 'data-status="used"' in html and "data:image/svg+xml" not in html


@pytest.mark.parametrize("n", [2, 20])
def test_wallet_constant_queries(client, resident, merchant, django_assert_max_num_queries, n):
    fund(resident, 10_000)
    for i in range(n):
        coupon = make_coupon(merchant, cost=1)
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=f"k{i}")
    logged_in(client, resident)
    # one of them: the menu asks whether the person answers for a premises; one: the earning rules
    with django_assert_max_num_queries(11):
        assert client.get("/wallet/").status_code == 200


def test_wallet_leaderboard_toggle_and_cancel(client, resident, coupon):
    fund(resident, 100)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    logged_in(client, resident)
    assert client.post("/wallet/leaderboard/", {"show_on_leaderboard": "on"}).status_code == 302
    assert PointsAccount.objects.get(user=resident).show_on_leaderboard
    client.post("/wallet/leaderboard/", {})
    assert not PointsAccount.objects.get(user=resident).show_on_leaderboard
    assert client.post(f"/wallet/redemptions/{r.pk}/cancel/").status_code == 302
    assert Redemption.objects.get(pk=r.pk).status == "cancelled" and balance_of(resident) == 100
    page = client.post(f"/wallet/redemptions/{r.pk}/cancel/", follow=True).content.decode()
    assert "已作废" in page  # the refusal is shown as a message, not a 500


def test_shop_states_and_no_js_redeem(client, resident, merchant):
    cheap = make_coupon(merchant, cost=50, title="Cheap")
    dear = make_coupon(merchant, cost=5000, title="Dear")
    gone = make_coupon(merchant, cost=10, stock_total=0, title="Gone")
    anon = client.get("/shop/").content.decode()
    assert "登录后兑换" in anon and "Cheap" in anon
    fund(resident, 100)
    html = logged_in(client, resident).get("/shop/").content.decode()
    assert "积分不足" in html and "已兑完" in html and 'data-role="redeem"' in html
    assert html.count('data-role="redeem"') == 1, (dear, gone)
    key = "render-key-1"
    first = client.post(f"/shop/{cheap.pk}/redeem/", {"idempotency_key": key})
    again = client.post(f"/shop/{cheap.pk}/redeem/", {"idempotency_key": key})
    assert first.status_code == 302 and first["Location"].startswith("/wallet/?new=")
    assert again["Location"] == first["Location"]
    assert Redemption.objects.filter(user=resident).count() == 1 and balance_of(resident) == 50
    refused = client.post(f"/shop/{dear.pk}/redeem/", {"idempotency_key": "k2"}, follow=True).content.decode()
    assert "积分不足" in refused
    missing = client.post(f"/shop/{cheap.pk}/redeem/", {}, follow=True).content.decode()
    assert "Idempotency-Key" in missing


@pytest.mark.parametrize("n", [2, 20])
def test_shop_constant_queries(client, resident, django_assert_max_num_queries, n):
    fund(resident, 100)
    for _ in range(n):
        make_coupon(make_merchant())
    logged_in(client, resident)
    # one: the menu asks whether the person answers for a premises; two: the audience teams of
    # every coupon at once, and the viewer's volunteer profile
    with django_assert_max_num_queries(9):
        assert client.get("/shop/").status_code == 200


def test_merchant_page_for_staff_only(client, resident):
    assert logged_in(client, resident).get("/merchant/").status_code == 403
    lonely = UserFactory(roles=[MERCHANT_STAFF])  # has the role but belongs to no merchant
    assert logged_in(client, lonely).get("/merchant/").status_code == 403


def test_merchant_page_uses_codes_without_js(client, resident, coupon, staff_user):
    fund(resident, 100)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    logged_in(client, staff_user)
    page = client.get("/merchant/")
    assert page.status_code == 200 and coupon.merchant.name in page.content.decode()
    ok = client.post("/merchant/", {"code": r.display_code})
    assert ok.status_code == 200 and "核销成功" in ok.content.decode()
    again = client.post("/merchant/", {"code": r.code})
    assert again.status_code == 409 and "已于" in again.content.decode()
    assert r.display_code in client.get("/merchant/").content.decode()  # in "recently accepted"
    assert client.post("/merchant/", {"code": "ZZZZZZZZZZZZ"}).status_code == 404


def test_merchant_page_throttled(client, staff_user, merchant, monkeypatch):
    from django.core.cache import cache

    from rewards.api import CodeLookupThrottle

    monkeypatch.setattr(CodeLookupThrottle, "THROTTLE_RATES", {"code_lookup": "2/min"})
    cache.delete(f"throttle_code_lookup_{staff_user.pk}")
    logged_in(client, staff_user)
    assert [client.post("/merchant/", {"code": "ZZZZZZZZZZZZ"}).status_code for _ in range(2)] == [404, 404]
    blocked = client.post("/merchant/", {"code": "ZZZZZZZZZZZZ"})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    cache.delete(f"throttle_code_lookup_{staff_user.pk}")


@pytest.mark.parametrize("n", [2, 20])
def test_merchant_page_constant_queries(client, staff_user, merchant, django_assert_max_num_queries, n):
    coupon = make_coupon(merchant, cost=1, stock_total=100, per_user_limit=100)
    buyer = UserFactory(roles=[RESIDENT])
    fund(buyer, 1000)
    for i in range(n):
        r = redemptions.redemption_create(user_id=buyer.pk, coupon_id=coupon.pk, idempotency_key=f"k{i}").redemption
        redemptions.redemption_use(code=r.code, actor=staff_user)
    logged_in(client, staff_user)
    with django_assert_max_num_queries(6):  # one of them: the menu asks whether the person answers for a premises
        assert client.get("/merchant/").status_code == 200


def test_leaderboard_page(client, resident):
    resident.display_name = "刘阿姨"
    resident.save()
    ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="h", source_id="1")
    html = client.get("/leaderboard/").content.decode()
    assert "匿名邻居" in html and "刘阿姨" not in html
    ledger.points_account_set_leaderboard(user_id=resident.pk, show=True)
    assert "刘阿姨" in client.get("/leaderboard/?period=all").content.decode()


@pytest.mark.parametrize("n", [2, 20])
def test_leaderboard_page_constant_queries(client, django_assert_max_num_queries, n):
    for i in range(n):
        user = UserFactory(roles=[RESIDENT])
        ledger.points_award(user_id=user.pk, rule_code="report_verified", source_type="h", source_id=str(i))
    with django_assert_max_num_queries(1):
        assert client.get("/leaderboard/").status_code == 200


# --- admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    user = UserFactory(roles=[DISPATCHER])
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_admin_ledger_is_read_only(client, admin_user, resident):
    fund(resident, 10)
    entry = PointsEntry.objects.get()
    logged_in(client, admin_user)
    assert client.get("/admin/rewards/pointsentry/").status_code == 200
    assert client.get("/admin/rewards/pointsentry/add/").status_code == 403
    assert client.post(f"/admin/rewards/pointsentry/{entry.pk}/change/", {"amount": 999}).status_code == 403
    assert client.post(f"/admin/rewards/pointsentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PointsEntry.objects.get().amount == 10


def test_admin_adjust_action(client, admin_user, resident):
    fund(resident, 10)
    account = PointsAccount.objects.get(user=resident)
    logged_in(client, admin_user)
    form = client.post("/admin/rewards/pointsaccount/", {"action": "adjust_points", "_selected_action": [account.pk]})
    assert form.status_code == 200 and b'name="reason"' in form.content
    done = client.post(
        "/admin/rewards/pointsaccount/",
        {"action": "adjust_points", "_selected_action": [account.pk], "apply": "1", "amount": "15", "reason": "drill"},
    )
    assert done.status_code == 302 and balance_of(resident) == 25
    assert PointsEntry.objects.filter(kind="adjust", actor=admin_user, reason="drill").exists()


def test_admin_reverse_and_cancel_actions(client, admin_user, resident, coupon):
    award = ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="h", source_id="1")
    logged_in(client, admin_user)
    client.post(
        "/admin/rewards/pointsentry/",
        {"action": "reverse_entries", "_selected_action": [award.entry.pk], "apply": "1", "reason": "prank"},
    )
    assert balance_of(resident) == 0
    fund(resident, 100)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    client.post("/admin/rewards/redemption/", {"action": "cancel_and_refund", "_selected_action": [r.pk]})
    assert Redemption.objects.get(pk=r.pk).status == "cancelled" and balance_of(resident) == 100
    assert_ledger_consistent()


def test_admin_coupon_create_and_stock_change(client, admin_user, merchant, resident):
    logged_in(client, admin_user)
    now = timezone.localtime()
    data = {
        "merchant": merchant.pk,
        "title": "Admin coupon",
        "description": "",
        "kind": "goods",
        "cost": "30",
        "stock_total": "5",
        "per_user_limit": "1",
        "valid_from_0": now.strftime("%Y-%m-%d"),
        "valid_from_1": "00:00:00",
        "valid_until_0": (now + timedelta(days=10)).strftime("%Y-%m-%d"),
        "valid_until_1": "00:00:00",
        "code_valid_for": "7 00:00:00",
        "active": "on",
    }
    response = client.post("/admin/rewards/coupon/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    from rewards.models import Coupon

    coupon = Coupon.objects.get(title="Admin coupon")
    assert (coupon.stock_total, coupon.stock_remaining) == (5, 5)
    fund(resident, 100)
    redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a")
    too_low = client.post(f"/admin/rewards/coupon/{coupon.pk}/change/", {**data, "stock_total": "0"})
    assert too_low.status_code == 200 and "1" in too_low.content.decode()
    client.post(f"/admin/rewards/coupon/{coupon.pk}/change/", {**data, "stock_total": "8"})
    coupon.refresh_from_db()
    assert (coupon.stock_total, coupon.stock_remaining) == (8, 7)


def test_admin_earning_rule_validates_factors(client, admin_user):
    from rewards.models import EarningRule

    logged_in(client, admin_user)
    rule = EarningRule.objects.get(code="task_verified")
    bad = client.post(
        f"/admin/rewards/earningrule/{rule.pk}/change/",
        {"code": rule.code, "name": rule.name, "points": 25, "severity_factors": '{"high": -1}', "active": "on"},
    )
    assert bad.status_code == 200
    ok = client.post(
        f"/admin/rewards/earningrule/{rule.pk}/change/",
        {"code": rule.code, "name": rule.name, "points": 25, "severity_factors": '{"high": 2.5}', "active": "on"},
    )
    assert ok.status_code == 302
    rule.refresh_from_db()
    assert rule.points == 25 and rule.severity_factors == {"high": 2.5}


def test_admin_merchant_staff_get_the_role(client, admin_user):
    from govern.roles import has_role
    from rewards.models import Merchant

    newcomer = UserFactory(roles=[RESIDENT])
    logged_in(client, admin_user)
    response = client.post(
        "/admin/rewards/merchant/add/",
        {"name": "新店", "address": "", "phone": "", "staff": [newcomer.pk], "active": "on"},
    )
    assert response.status_code == 302
    assert list(Merchant.objects.get(name="新店").staff.all()) == [newcomer]
    newcomer.refresh_from_db()
    assert has_role(newcomer, MERCHANT_STAFF)


def test_wallet_and_api_say_how_to_earn_from_the_rule_rows(client, api, resident, admin_user):
    from rewards.models import EarningRule

    admin = logged_in(client, admin_user)
    rule = EarningRule.objects.get(code="service_minutes")
    edited = admin.post(
        f"/admin/rewards/earningrule/{rule.pk}/change/",
        {
            "code": rule.code,
            "name": rule.name,
            "points": 6,
            "per_minutes": 60,
            "severity_factors": "{}",
            "active": "on",
        },
    )
    assert edited.status_code == 302
    EarningRule.objects.filter(code="activity_attended").update(active=False)
    body = api.get("/api/v1/points/rules/", HTTP_ACCEPT_LANGUAGE="en").json()
    by_code = {r["code"]: r for r in body}
    assert by_code["service_minutes"]["per_minutes"] == 60
    assert by_code["service_minutes"]["description"] == "6 points per 60 minutes"
    assert {"inspection_submitted", "finding_fixed", "task_verified"} <= set(by_code)
    assert "activity_attended" not in by_code  # inactive rules pay nothing and are not offered
    html = logged_in(client, resident).get("/wallet/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="earning-rules"' in html and "志愿服务时长" in html and "每 60 分钟 6 积分" in html
