"""Headless Chromium: a volunteer redeems in the shop, the code shows in the wallet with its QR,
and the merchant's staff mark it used on /merchant/ (the API path, through the page's JS)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from govern.roles import MERCHANT_STAFF, RESIDENT, VOLUNTEER
from rewards.models import Redemption
from tests.browser.harness import in_thread
from tests.factories import UserFactory
from tests.rewards.conftest import balance_of, ensure_reference_data, fund, make_coupon, make_merchant

pytestmark = pytest.mark.browser

PASSWORD = "pw-govern-test"  # tests.factories.UserFactory's password


def log_in(page, base_url: str, username: str) -> None:
    """The login form's own button (the header also holds submit buttons: language, logout)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("header .who", state="attached")  # inside the (closed) top-bar menu


def _setup():
    ensure_reference_data()
    volunteer = UserFactory(roles=[RESIDENT, VOLUNTEER], display_name="志愿者 测试")
    staff = UserFactory(roles=[MERCHANT_STAFF], display_name="店长 测试")
    merchant = make_merchant(staff=[staff], name="汾湖小厨（测试）")
    coupon = make_coupon(merchant, title="十元代金券", cost=100, stock_total=3, per_user_limit=2)
    fund(volunteer, 500)
    return volunteer, staff, coupon


def test_redeem_in_shop_then_wallet_then_merchant_marks_used(asgi_live_server, phone_context, browser):
    volunteer, staff, coupon = in_thread(_setup)
    base = asgi_live_server.url

    page = phone_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, volunteer.username)

    # Shop: redeem with the two-step confirmation; the page JS calls the API with an Idempotency-Key.
    page.goto(f"{base}/shop/")
    card = page.locator(f"#coupon-{coupon.pk}")
    assert card.locator('[data-role="confirm"]').is_hidden()
    card.locator('[data-role="redeem"]').click()
    card.locator('[data-role="confirm-yes"]').click()
    code_text = card.locator('[data-role="new-code"]').inner_text(timeout=15000)
    redemption = Redemption.objects.get(user=volunteer)
    assert code_text == redemption.display_code and redemption.status == "issued"
    assert page.locator("#balance").inner_text() == "400" and balance_of(volunteer) == 400
    expect(card.locator('[data-role="stock"]')).to_contain_text("剩余 2 / 3")

    # Wallet: the code with its QR image, the debit in the history.
    card.locator('[data-role="to-wallet"]').click()
    page.wait_for_url("**/wallet/**")
    item = page.locator(f"#redemption-{redemption.pk}")
    assert item.locator('[data-role="code"]').inner_text() == redemption.display_code
    assert item.locator("img.rw-qr").get_attribute("src").startswith("data:image/svg+xml")
    assert item.get_attribute("data-status") == "issued"
    assert page.locator("#balance").inner_text() == "400"
    assert "-100" in page.locator("#history-body").inner_text()

    # Merchant: the staff type the code as read aloud (lower case, with dashes) and accept it.
    staff_context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    try:
        staff_page = staff_context.new_page()
        staff_page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(staff_page, base, staff.username)
        staff_page.goto(f"{base}/merchant/")
        staff_page.fill("#code", redemption.display_code.lower())
        staff_page.click("#use-button")
        expect(staff_page.locator("#use-result.ok")).to_contain_text("十元代金券", timeout=15000)
        assert Redemption.objects.get(pk=redemption.pk).status == "used"
        # A second presentation of the same code is refused with the time it was used.
        staff_page.fill("#code", redemption.code)
        staff_page.click("#use-button")
        expect(staff_page.locator("#use-result.error")).to_contain_text("已于", timeout=15000)
    finally:
        staff_context.close()

    page.reload()
    item = page.locator(f"#redemption-{redemption.pk}")
    assert item.get_attribute("data-status") == "used"
    assert item.locator("img.rw-qr").count() == 0
    assert errors == []
