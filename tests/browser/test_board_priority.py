"""The board prioritises (issue 19), in headless Chromium: each queue sorted by severity, then age;
a new critical report goes to the top of its queue with a visible alarm (and a sound) until
acknowledged; a report turning critical (a sensor reading got worse) recolours and moves live."""

from __future__ import annotations

import pytest

from govern.roles import DISPATCHER
from hazards.core.lifecycle import hazard_raise_severity
from hazards.demo import seed_categories
from hazards.reports.services import hazard_report
from tests.browser.harness import login, wait_until
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.browser

LIVE = 15_000


def _report(description: str, severity: str, seed: int, category: str = "fire-passage"):
    return hazard_report(
        reporter=None,
        category_slug=category,
        description=description,
        latitude=30.9062,
        longitude=120.8061,
        severity=severity,
        photos=[upload("p.jpg", jpeg_bytes(size=(120, 90), seed=seed))],
    ).hazard


def test_critical_reports_go_first_with_an_alarm(asgi_live_server, desktop_context, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)
    seed_categories()
    make_grid(west=120.80, south=30.90)
    UserFactory(username="duty", roles=[DISPATCHER])
    high = _report("楼道堆放杂物", "high", 1)
    medium = _report("灭火器过期", "medium", 2)

    board = desktop_context.new_page()
    errors = []
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    login(board, asgi_live_server.url, "duty", "pw-govern-test")
    board.goto(asgi_live_server.url + "/office/")
    codes = "Array.from(document.querySelectorAll('#queue-untriaged .of-card')).map(c => c.dataset.code)"
    assert board.evaluate(codes)[:2] == [high.tracking_code, medium.tracking_code]
    wait_until(board, "window.GovernLive && document.getElementById('live-status').hidden", timeout=LIVE)
    board.wait_for_timeout(300)
    expect(board.locator("#board-alarm")).to_be_hidden()

    critical = asgi_live_server.call(_report, "闻到燃气味", "critical", 3)
    wait_until(board, f"({codes})[0] === '{critical.tracking_code}'", timeout=LIVE)
    expect(board.locator("#board-alarm")).to_be_visible()
    expect(board.locator(f"#board-alarm [data-hazard-id='{critical.pk}']")).to_have_count(1)
    assert board.evaluate("window.__boardAlarms") == 1

    # The medium report turns critical: recoloured and ahead of the high one (older critical first).
    asgi_live_server.call(hazard_raise_severity, hazard_id=medium.pk, severity="critical", note="传感器读数升高")
    wait_until(
        board,
        f"({codes}).join() === '{medium.tracking_code},{critical.tracking_code},{high.tracking_code}'",
        timeout=LIVE,
    )
    card = board.locator(f'#queue-untriaged .of-card[data-code="{medium.tracking_code}"]')
    assert "sev-critical" in card.locator("[data-f=severity]").get_attribute("class")
    expect(board.locator(f"#board-alarm [data-hazard-id='{medium.pk}']")).to_have_count(1)
    board.click("#board-alarm-ack")
    expect(board.locator("#board-alarm")).to_be_hidden()

    # A gas report alarms at once, before anyone has judged it critical.
    gas = asgi_live_server.call(_report, "液化气瓶放在楼道里", "high", 4, "gas-safety")
    wait_until(board, f"!!document.querySelector(\"#board-alarm [data-hazard-id='{gas.pk}']\")", timeout=LIVE)
    expect(board.locator("#board-alarm")).to_be_visible()
    expect(board.locator("#board-alarm strong")).to_have_text("紧急上报")
    assert errors == []
