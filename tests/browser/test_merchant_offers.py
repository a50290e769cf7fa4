"""Headless Chromium, in Chinese at 390 px: a merchant's staff member proposes a coupon with an
image on their own page, a dispatcher approves it on the proposals page, and a volunteer redeems
it in the shop (volunteers only). Then the volunteer's star level and certificate of service
hours, and its public check. GOVERN_SCREENSHOTS=<dir> keeps the screenshots."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from govern.roles import DISPATCHER, MERCHANT_STAFF, RESIDENT, VOLUNTEER
from rewards.models import Coupon, Redemption
from tests.browser.harness import in_thread, login, wait_until
from tests.factories import CommunityFactory, UserFactory
from tests.hazards.images import jpeg_bytes
from tests.rewards.conftest import balance_of, ensure_reference_data, fund, make_merchant
from volunteers import service_records, services
from volunteers.models import ServiceCertificate

pytestmark = pytest.mark.browser

PASSWORD = "pw-govern-test"  # tests.factories.UserFactory's password
SCREENSHOTS = Path(os.environ.get("GOVERN_SCREENSHOTS") or "/tmp/govern-screens")


def _setup():
    ensure_reference_data()
    staff = UserFactory(roles=[MERCHANT_STAFF], display_name="店长 测试")
    merchant = make_merchant(staff=[staff], name="汾湖小厨（测试）")
    dispatcher = UserFactory(roles=[DISPATCHER], display_name="调度 测试")
    resident = UserFactory(roles=[RESIDENT, VOLUNTEER], display_name="志愿者 测试")
    community = CommunityFactory(code="lili-b", name="黎里社区")
    volunteer = services.volunteer_apply(
        actor=resident,
        real_name="王小明",
        phone="15822223333",
        community_id=community.pk,
        skills=[],
        team_id=None,
        availability=[],
    )
    services.volunteer_approve(volunteer_id=volunteer.pk, actor=dispatcher)
    for day, minutes in ((1, 700), (2, 700), (3, 500)):
        record = service_records.service_record_submit(
            actor=resident, minutes=minutes, served_on=timezone.localdate() - dt.timedelta(days=day), note="巡查"
        )
        service_records.service_record_approve(record_id=record.pk, actor=dispatcher)
    fund(resident, 300)
    return staff, merchant, dispatcher, resident


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _context(browser):
    return browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)


@pytest.mark.timeout(600)
def test_merchant_proposes_dispatcher_approves_volunteer_redeems(asgi_live_server, browser, tmp_path, settings):
    settings.VOLUNTEER_STAR_HOURS = "10, 30, 60, 100, 150"
    staff, merchant, dispatcher, resident = in_thread(_setup)
    base = asgi_live_server.url
    errors: list[str] = []
    image = tmp_path / "offer.jpg"
    image.write_bytes(jpeg_bytes(size=(1200, 800), gps=True))

    # 1. The merchant's staff member proposes an offer on their own page.
    staff_context = _context(browser)
    page = staff_context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, staff.username, PASSWORD)
    page.goto(f"{base}/merchant/offers/")
    assert page.locator("h1").inner_text() == "我的优惠券"
    page.fill("#id_title", "志愿者专享：招牌面立减8元")
    page.fill("#id_description", "凭码到店使用，每人限一次")
    page.fill("#id_cost", "120")
    page.fill("#id_stock_total", "5")
    page.select_option("#id_audience", "volunteers")
    page.set_input_files("#id_image", str(image))
    with page.expect_navigation():
        page.click("#propose-button")
    coupon = Coupon.objects.get(title="志愿者专享：招牌面立减8元")
    card = page.locator(f"#offer-{coupon.pk}")
    assert card.locator('[data-role="review"]').inner_text() == "待审核"
    assert coupon.image and coupon.review == "proposed" and coupon.merchant_id == merchant.pk
    _shot(page, "merchant-offers")

    # 2. A dispatcher approves it on the proposals page (reached from the back office menu).
    dispatcher_context = _context(browser)
    office = dispatcher_context.new_page()
    office.on("pageerror", lambda exc: errors.append(str(exc)))
    login(office, base, dispatcher.username, PASSWORD)
    office.goto(f"{base}/office/")
    with office.expect_navigation():
        office.click("nav.of-nav >> text=优惠券审核")
    proposal = office.locator(f"#proposal-{coupon.pk}")
    assert "汾湖小厨（测试）" in proposal.inner_text() and "仅限志愿者" in proposal.inner_text()
    _shot(office, "office-proposals")
    with office.expect_navigation():
        proposal.locator('[data-role="approve"]').click()
    assert "已通过" in office.locator(".messages").inner_text()
    coupon.refresh_from_db()
    assert coupon.review == "approved" and coupon.reviewed_by_id == dispatcher.pk
    office.goto(f"{base}/office/clawbacks/")
    assert office.locator("h1").inner_text() == "积分追回"

    # 3. A volunteer redeems it in the shop.
    volunteer_context = _context(browser)
    shop = volunteer_context.new_page()
    shop.on("pageerror", lambda exc: errors.append(str(exc)))
    login(shop, base, resident.username, PASSWORD)
    shop.goto(f"{base}/shop/")
    offer = shop.locator(f"#coupon-{coupon.pk}")
    assert "仅限志愿者" in offer.locator('[data-role="audience"]').inner_text()
    _shot(shop, "shop")
    before = balance_of(resident)  # the funding and what the approved service earned
    offer.locator('[data-role="redeem"]').click()
    offer.locator('[data-role="confirm-yes"]').click()
    code = offer.locator('[data-role="new-code"]').inner_text(timeout=15000)
    redemption = Redemption.objects.get(user=resident, coupon=coupon)
    assert code == redemption.display_code and balance_of(resident) == before - 120
    shop.goto(f"{base}/wallet/")
    assert shop.locator(f"#redemption-{redemption.pk}").get_attribute("data-status") == "issued"
    _shot(shop, "wallet")

    # 4. The volunteer's star level (31.7 approved hours: two stars here) and certificate.
    shop.goto(f"{base}/volunteers/me/")
    level = shop.locator("#star-level")
    assert level.get_attribute("data-stars") == "2" and "2 星级志愿者" in level.inner_text()
    _shot(shop, "volunteer-stars")
    with shop.expect_navigation():
        shop.click("#certificate-issue")
    certificate = ServiceCertificate.objects.get(volunteer__user=resident)
    assert shop.locator("#certificate-code").inner_text() == certificate.code
    assert "志愿服务时长证明" in shop.locator("h1").inner_text()
    assert shop.locator("#certificate-hours").inner_text() == "31.7"
    _shot(shop, "certificate")
    shop.emulate_media(media="print")
    assert shop.locator("header.topbar, .topbar").first.is_hidden()
    _shot(shop, "certificate-print")
    shop.emulate_media(media="screen")

    # 5. Anyone checks it; a mistyped code is answered inline, in Chinese.
    public = _context(browser).new_page()
    public.goto(f"{base}/verify/certificate/")
    public.fill("input[name=code]", certificate.code.lower())
    with public.expect_navigation():
        public.click("#verify-form button[type=submit]")
    wait_until(public, "() => !!document.getElementById('verified')")
    assert public.locator("#verified-name").inner_text() == "王*明"
    assert public.locator("#verified-hours").inner_text() == "31.7 小时"
    _shot(public, "verify-certificate")
    public.goto(f"{base}/verify/certificate/WRONGCODE2345678/")
    assert "没有核验码为 WRONGCODE2345678 的证明" in public.locator("#verify-error").inner_text()
    _shot(public, "verify-wrong")
    assert not errors, errors
    for context in (staff_context, dispatcher_context, volunteer_context):
        context.close()
