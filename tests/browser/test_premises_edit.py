"""A dispatcher (no staff account) keeps the premises register through its own pages, in headless
Chromium: registers a premises and corrects it on a phone in Chinese, issues an enterprise's
sensor key at desktop width in English and revokes it; each page passes axe-core, the Chinese ones show no English."""

from __future__ import annotations

import pytest

from govern.roles import DISPATCHER
from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import in_thread, login
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.browser


def _page(browser, base: str, width: int, language: str):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN" if language == "zh-hans" else "en-US", bypass_csp=True
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context, context.new_page()


def _problems(page, chinese: bool) -> list[str]:
    found = axe_violations(page) + (english_leaks(page) if chinese else [])
    if page.evaluate("document.documentElement.scrollWidth") > page.viewport_size["width"]:
        found.append("scrolls sideways")
    return found


def test_a_dispatcher_registers_corrects_and_keys_a_premises_without_the_admin(asgi_live_server, browser):
    from playwright.sync_api import expect

    from hazards.premises.models import EnterpriseKey, Premises

    make_grid(west=120.80, south=30.90)
    UserFactory(username="duty", roles=[DISPATCHER])
    base = asgi_live_server.url
    problems: list[str] = []

    context, page = _page(browser, base, 390, "zh-hans")
    login(page, base, "duty", "pw-govern-test")
    page.goto(base + "/premises/")
    page.click("#premises-new")
    problems += [f"new: {p}" for p in _problems(page, chinese=True)]
    page.fill("#id_code", "91320509MA1TEST01")
    page.fill("#id_name", "汾湖精密铸造厂")
    page.select_option("#id_type", "enterprise")
    page.fill("#id_address", "汾湖大道88号")
    page.fill("#id_latitude", "30.95")  # outside every grid: refused, on its field, in Chinese
    page.fill("#id_longitude", "120.95")
    page.fill("#id_responsible_name", "赵厂长")
    with page.expect_navigation():
        page.click("#premises-form button[type=submit]")
    expect(page.locator("#premises-form .errorlist")).to_contain_text("网格")
    problems += [f"refused: {p}" for p in _problems(page, chinese=True)]
    page.fill("#id_latitude", "30.905")
    page.fill("#id_longitude", "120.805")
    with page.expect_navigation():
        page.click("#premises-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("汾湖精密铸造厂")
    premises = in_thread(lambda: Premises.objects.get(code="91320509MA1TEST01"))

    page.click("#premises-edit")
    problems += [f"edit: {p}" for p in _problems(page, chinese=True)]
    page.fill("#id_responsible_phone", "13900001111")
    with page.expect_navigation():
        page.click("#premises-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已保存")
    assert in_thread(lambda: Premises.objects.get(pk=premises.pk).responsible_phone) == "13900001111"
    page.click("#premises-keys")
    problems += [f"keys zh: {p}" for p in _problems(page, chinese=True)]
    context.close()

    context, page = _page(browser, base, 1440, "en")
    login(page, base, "duty", "pw-govern-test")
    page.goto(f"{base}/premises/{premises.pk}/keys/")
    page.fill("#id_name", "Gateway 1")
    with page.expect_navigation():
        page.click("#sensor-key-form button[type=submit]")
    raw = page.locator("#issued-key-value").inner_text()
    assert in_thread(lambda: EnterpriseKey.objects.get(premises_id=premises.pk).api_client.name) == "Gateway 1"
    expect(page.locator("#sensor-keys tbody tr")).to_have_count(1)
    problems += [f"keys en: {p}" for p in _problems(page, chinese=False)]
    page.reload()
    assert raw not in page.content()  # shown once; reloading issues no second key
    expect(page.locator("#sensor-keys tbody tr")).to_have_count(1)
    with page.expect_navigation():
        page.click("#sensor-keys button.of-revoke")
    expect(page.locator(".messages")).to_contain_text("Gateway 1")
    expect(page.locator("#sensor-keys button.of-revoke")).to_have_count(0)
    assert not in_thread(lambda: EnterpriseKey.objects.get(premises_id=premises.pk).api_client.active)
    problems += [f"keys revoked en: {p}" for p in _problems(page, chinese=False)]
    context.close()
    assert problems == []
