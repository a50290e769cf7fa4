"""An inspector works through a restaurant's checklist on a phone-sized viewport: ticks items
(saved in place), fails one with a camera photo and a note, submits, and sees the new hazard's
tracking code; the dispatcher's campaign page, open on a desktop, updates live. Real headless
Chromium over HTTP and WebSockets."""

from __future__ import annotations

import re

import pytest

from govern.roles import ALL_ROLES, DISPATCHER, GRID_WORKER
from hazards.models import Hazard, Source
from hazards.premises.campaigns import inspections, services
from hazards.premises.campaigns.demo import seed_checklists
from hazards.premises.models import Campaign, ChecklistItem, InspectionResult, PremisesHazard
from tests.browser.harness import login, wait_until
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes
from tests.premises.campaign_helpers import ensure_types, make_premises

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 15_000


def test_an_inspector_works_through_a_checklist_on_a_phone(
    asgi_live_server, phone_context, desktop_context, settings, tmp_path
):
    from django.contrib.auth.models import Group
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    for role in ALL_ROLES:  # a transactional test may follow another one's flush
        Group.objects.get_or_create(name=role)
    ensure_types()
    seed_checklists()
    inspector = UserFactory(username="inspector", roles=[GRID_WORKER], display_name="网格员 李敏")
    office = UserFactory(username="office", roles=[DISPATCHER])
    grid = make_grid(west=120.80, south=30.90, workers=[inspector])
    restaurant = make_premises(grid, name="汾湖小厨", street="汾湖大道")
    make_premises(grid, name="老街面馆", street="汾湖大道", offset=0.001)
    campaign = services.campaign_create(
        actor=office, name="夏季燃气安全检查", streets=["汾湖大道"], type_slugs=["restaurant"]
    )
    services.campaign_assign(
        campaign_id=campaign.pk,
        actor=office,
        inspector_id=inspector.pk,
        premises_ids=list(campaign.entries.values_list("premises_id", flat=True)),
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    entry = campaign.entries.get(premises=restaurant)

    # The dispatcher watches the campaign on a desktop.
    board = desktop_context.new_page()
    board_errors = []
    board.on("pageerror", lambda exc: board_errors.append(str(exc)))
    login(board, asgi_live_server.url, "office", "pw-govern-test")
    board.goto(f"{asgi_live_server.url}/office/campaigns/{campaign.pk}/")
    progress = board.locator("#campaign-progress")
    expect(progress.locator("[data-k=done]")).to_have_text("0")
    wait_until(
        board, "() => window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE_TIMEOUT_MS
    )

    # The inspector, on the phone.
    page = phone_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, asgi_live_server.url, "inspector", "pw-govern-test")
    page.goto(f"{asgi_live_server.url}/inspections/")
    card = page.locator(f".ck-entry[data-entry-id='{entry.pk}']")
    expect(card).to_contain_text("汾湖小厨")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert page.viewport_size["width"] == 390
    expect(page.locator("h1")).to_have_text("汾湖小厨")
    expect(progress.locator("[data-k=in_progress]")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)  # live on the desktop

    items = page.locator("#checklist .ck-item")
    total = items.count()
    assert total == ChecklistItem.objects.filter(checklist__premises_type__slug="restaurant", active=True).count()
    # Pass (or n.a.) every item but the first: each saves in place.
    for index in range(1, total):
        item = items.nth(index)
        choice = "na" if index == total - 1 else "pass"
        item.locator(f".ck-choice-{choice}").click()
        expect(item).to_have_attribute("data-outcome", choice, timeout=LIVE_TIMEOUT_MS)
    # Fail the gas cylinders: the note and the camera open; a photo is required.
    gas = items.nth(0)
    gas.locator(".ck-choice-fail").click()
    panel = gas.locator("div.ck-fail")
    expect(panel).to_be_visible()
    camera = panel.locator("input[type=file]")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    panel.locator(".ck-save").click()
    expect(gas.locator(".ck-error")).to_be_visible()  # no photo yet
    panel.locator("textarea[name=note]").fill("两个液化气钢瓶紧挨灶台，未固定")
    camera.set_input_files(
        files=[{"name": "gas.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(800, 600), seed=21)}]
    )
    panel.locator(".ck-save").click()
    expect(gas).to_have_attribute("data-outcome", "fail", timeout=LIVE_TIMEOUT_MS)
    # (the thumbnail's URL; the media route may serve another test's MEDIA_ROOT in a long run)
    expect(gas.locator("img.ck-thumb")).to_have_attribute("src", re.compile(r"^/media/inspections/.+-t\.jpg$"))
    expect(gas.locator(".ck-error")).to_be_hidden()
    expect(page.locator("#checked-count")).to_have_attribute("data-checked", str(total))

    with page.expect_navigation():
        page.click("#submit-inspection")
    hazard = Hazard.objects.get()
    findings = page.locator("#findings")
    expect(findings).to_contain_text(hazard.tracking_code)
    expect(page.locator("form.ck-form")).to_have_count(0)

    assert hazard.source == Source.INSPECTION and hazard.reporter_id == inspector.pk and hazard.photos.count() == 1
    assert "两个液化气钢瓶紧挨灶台" in hazard.description and hazard.grid_id == grid.pk
    assert PremisesHazard.objects.get(hazard=hazard).premises_id == restaurant.pk
    assert InspectionResult.objects.get(hazard=hazard).inspection.entry.campaign_id == campaign.pk
    assert Campaign.objects.get(pk=campaign.pk).premises_done == 1

    # The dispatcher's page moved without a reload.
    expect(progress.locator("[data-k=done]")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    expect(progress.locator("[data-k=findings]")).to_have_text("1")
    expect(progress.locator("[data-k=percent]")).to_have_text("50")
    expect(board.locator("#finding-list")).to_contain_text(hazard.tracking_code)
    expect(board.locator(f"#entry-table tr[data-entry-id='{entry.pk}'] [data-k=status]")).to_have_attribute(
        "data-status", "done"
    )
    assert errors == [] and board_errors == []


def _logged_in(context, server, username: str, path: str):
    """A new page of `context`, logged in as `username`, at `path`; returns it and the list its
    JavaScript errors are collected in."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, server.url, username, "pw-govern-test")
    page.goto(server.url + path)
    return page, errors


def _wait_live(page) -> None:
    wait_until(
        page, "() => window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE_TIMEOUT_MS
    )


def _one_restaurant_campaign():
    """An active campaign over one restaurant, assigned to "inspector" (a grid worker); "office"
    is a dispatcher. Returns (inspector, campaign, entry)."""
    from django.contrib.auth.models import Group

    for role in ALL_ROLES:  # a transactional test may follow another one's flush
        Group.objects.get_or_create(name=role)
    ensure_types()
    seed_checklists()
    inspector = UserFactory(username="inspector", roles=[GRID_WORKER])
    office = UserFactory(username="office", roles=[DISPATCHER])
    grid = make_grid(west=120.80, south=30.90, workers=[inspector])
    restaurant = make_premises(grid, name="汾湖小厨", street="汾湖大道")
    campaign = services.campaign_create(
        actor=office, name="夏季燃气安全检查", streets=["汾湖大道"], type_slugs=["restaurant"]
    )
    services.campaign_assign(
        campaign_id=campaign.pk, actor=office, inspector_id=inspector.pk, premises_ids=[restaurant.pk]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    return inspector, campaign, campaign.entries.get(premises=restaurant)


def test_the_office_takes_back_a_started_inspection_and_the_open_checklist_locks_live(
    asgi_live_server, phone_context, desktop_context, settings, tmp_path
):
    from playwright.sync_api import expect

    from hazards.premises.models import CampaignPremises, Inspection

    settings.MEDIA_ROOT = str(tmp_path)
    inspector, campaign, entry = _one_restaurant_campaign()

    # The inspector starts the checklist on the phone and ticks one item.
    page, errors = _logged_in(phone_context, asgi_live_server, "inspector", "/inspections/")
    with page.expect_navigation():
        page.locator(f".ck-entry[data-entry-id='{entry.pk}'] button[type=submit]").click()
    _wait_live(page)
    first = page.locator("#checklist .ck-item").nth(0)
    first.locator(".ck-choice-pass").click()
    expect(first).to_have_attribute("data-outcome", "pass", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#taken-back")).to_be_hidden()

    # Another dispatcher watches the campaign page; the office takes it back from its own copy,
    # discarding the started checklist.
    watcher, watcher_errors = _logged_in(
        desktop_context, asgi_live_server, "office", f"/office/campaigns/{campaign.pk}/"
    )
    _wait_live(watcher)
    board, _board_errors = _logged_in(desktop_context, asgi_live_server, "office", f"/office/campaigns/{campaign.pk}/")
    row = board.locator(f"#entry-table tr[data-entry-id='{entry.pk}']")
    expect(row.locator("[data-k=status]")).to_have_attribute("data-status", "in_progress")
    board.fill("#unassign-form [name=reason]", "李敏病假")
    with board.expect_navigation():
        row.locator("button[name=discard]").click()
    expect(board.locator(f"#entry-table tr[data-entry-id='{entry.pk}'] [data-k=status]")).to_have_attribute(
        "data-status", "pending"
    )
    assert CampaignPremises.objects.get(pk=entry.pk).inspector_id is None
    assert not Inspection.objects.filter(entry=entry).exists()
    expect(row.locator("[data-k=taken-back-note]")).to_contain_text("李敏病假")  # kept on the row
    watched = watcher.locator(f"#entry-table tr[data-entry-id='{entry.pk}']")
    expect(watched.locator("[data-k=status]")).to_have_attribute("data-status", "pending", timeout=LIVE_TIMEOUT_MS)
    expect(watched.locator("[data-k=taken-back-note]")).to_contain_text("李敏病假")  # live, without a reload
    expect(watched.locator("[data-k=inspector]")).to_have_text("—")

    # The phone, without a reload: the page says so, and nothing can be ticked or submitted.
    expect(page.locator("#taken-back")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#taken-back a")).to_have_attribute("href", "/inspections/")
    expect(page.locator("#checklist .ck-item").nth(1).locator("input[value=pass]")).to_be_disabled()
    expect(page.locator("#submit-inspection")).to_be_disabled()
    assert errors == [] and watcher_errors == []


def test_the_dashboard_lists_a_new_finding_live(asgi_live_server, desktop_context, settings, tmp_path):
    from playwright.sync_api import expect

    from tests.hazards.images import upload

    settings.MEDIA_ROOT = str(tmp_path)
    inspector, campaign, entry = _one_restaurant_campaign()

    board, errors = _logged_in(desktop_context, asgi_live_server, "office", "/office/dashboard/")
    _wait_live(board)
    expect(board.locator("#no-findings")).to_be_visible()

    # The inspector submits with one failed item (through the server, as the phone would).
    def inspect():
        inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
        items = list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True).order_by("order", "id"))
        inspections.inspection_record_item(
            inspection_id=inspection.pk,
            actor=inspector,
            item_id=items[0].pk,
            outcome="fail",
            note="钢瓶未固定",
            photo=upload("g.jpg", jpeg_bytes(size=(300, 200), seed=3)),
        )
        for item in items[1:]:
            inspections.inspection_record_item(
                inspection_id=inspection.pk, actor=inspector, item_id=item.pk, outcome="pass"
            )
        inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)

    asgi_live_server.call(inspect)
    hazard = Hazard.objects.get(source=Source.INSPECTION)
    finding = board.locator(f"#finding-list [data-hazard='{hazard.tracking_code}']")
    expect(finding).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(finding).to_contain_text("汾湖小厨")
    expect(finding).to_contain_text("夏季燃气安全检查")
    expect(board.locator("#no-findings")).to_have_count(0)
    expect(board.locator(f"#campaign-table tr[data-campaign-id='{campaign.pk}'] [data-k=done]")).to_have_text("1")
    assert errors == []
