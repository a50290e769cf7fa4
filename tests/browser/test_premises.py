"""The premises page on a phone: details, masked phones, and a hazard linked meanwhile appears live."""

from __future__ import annotations

import pytest

from govern.roles import DISPATCHER, GRID_WORKER
from hazards.demo import seed_categories
from hazards.premises.services import premises_create, premises_link_hazard
from hazards.reports.services import hazard_report
from tests.factories import UserFactory, make_grid

pytestmark = pytest.mark.browser


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_a_grid_worker_sees_a_new_finding_appear_on_the_premises_page(asgi_live_server, phone_context):
    seed_categories()
    grid = make_grid(west=120.80, south=30.90)
    boss = UserFactory(roles=[DISPATCHER])
    worker = UserFactory(username="pr-worker", roles=[GRID_WORKER])
    grid.workers.add(worker)
    premises = premises_create(
        actor=boss,
        code="WH-R001",
        name="老王面馆",
        type="restaurant",
        address="文化路1号",
        street="文化路",
        latitude=30.905,
        longitude=120.805,
        responsible_name="王建国",
        responsible_phone="13912345678",
    )
    page = phone_context.new_page()
    login(page, asgi_live_server.url, "pr-worker", "pw-govern-test")
    page.goto(f"{asgi_live_server.url}/premises/{premises.pk}/")
    assert "老王面馆" in page.locator("h1").inner_text()
    assert "139****5678" in page.content() and "13912345678" not in page.content()
    assert page.locator("#premises-history-empty").count() == 1

    def find_and_link():
        hazard = hazard_report(
            reporter=None,
            category_slug="gas-safety",
            description="后厨液化气罐紧挨灶台",
            latitude=30.905,
            longitude=120.805,
            photos=[],
            photos_required=False,
        ).hazard
        premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin="inspection")
        return hazard

    hazard = asgi_live_server.call(find_and_link)
    row = page.wait_for_selector(f'#premises-history li[data-hazard-id="{hazard.pk}"]', timeout=15000)
    assert hazard.tracking_code in row.inner_text()
    assert page.locator("#premises-history-empty").count() == 0
    counts = page.locator("#premises-hazard-counts")
    assert (counts.get_attribute("data-total"), counts.get_attribute("data-open")) == ("1", "1")
    # The page stays usable on a phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The register list on the same phone: the worker's premises, its open hazard, nothing too wide.
    page.goto(f"{asgi_live_server.url}/premises/")
    card = page.locator(f'a.pr-card[data-premises-id="{premises.pk}"]')
    assert "老王面馆" in card.inner_text() and card.locator(".pr-open").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
