import pytest

pytestmark = pytest.mark.browser


def test_home_page_in_headless_chromium(asgi_live_server, phone_context):
    page = phone_context.new_page()
    page.goto(asgi_live_server.url + "/")
    assert page.locator("h1").inner_text() == "社区安全治理"
    faces = [page.locator("a.face").nth(i).get_attribute("href") for i in range(page.locator("a.face").count())]
    assert faces == ["/report/", "/track/", "/hazards/map/", "/shop/", "/volunteers/"]  # what needs no account
    page.click("button[value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Community Safety Governance"
