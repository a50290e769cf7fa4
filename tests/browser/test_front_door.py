"""The front door in a real browser: every demo account lands on a home that leads to its work, a
resident who opens the back office gets a Chinese refusal in the layout, the maps work without
their tiles (and without Leaflet's flag), GCJ-02 is computed right, and a lost connection reads as
a Chinese sentence, never "Failed to fetch"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.harness import in_thread, login, wait_until
from tests.demo_world import DEMO_PASSWORD, seed_world

pytestmark = pytest.mark.browser

# What each demo account's home must offer first (its work) and the page each of those opens.
WORK = {
    "resident1": {
        "report": "/report/",
        "my-reports": "/my/reports/",
        "track": "/track/",
        "map": "/hazards/map/",
        "wallet": "/wallet/",
        "shop": "/shop/",
    },
    "vol1": {"duty": "/volunteers/me/", "tasks": "/tasks/", "wallet": "/wallet/"},
    "grid1": {"tasks": "/tasks/", "inspections": "/inspections/", "premises": "/premises/"},
    "merchant1": {"merchant": "/merchant/"},
    "safety1": {"sensors": "/sensors/", "my-premises": "/premises/"},
    "dispatcher": {
        "board": "/office/",
        "dashboard": "/office/dashboard/",
        "campaigns": "/office/campaigns/",
        "approvals": "/volunteers/approvals/",
        "premises": "/premises/",
    },
}


def _phone(browser, **extra):
    return browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN", **extra
    )


def test_every_demo_account_lands_on_its_work_and_is_refused_in_chinese_where_it_may_not_go(asgi_live_server, browser):
    in_thread(seed_world)
    base = asgi_live_server.url
    for who, work in WORK.items():
        context = _phone(browser, geolocation={"latitude": 30.905, "longitude": 120.805}, permissions=["geolocation"])
        page = context.new_page()
        login(page, base, who, DEMO_PASSWORD)
        assert page.url == base + "/", who  # logging in lands on the home page
        first_section = page.locator(".home-section").first
        for key, path in work.items():
            tile = page.locator(f"a.face-{key}")
            assert tile.count() == 1, (who, key)
            assert tile.get_attribute("href") == path, (who, key)
        # The first tile of the first section is the account's main work, and it opens.
        first = first_section.locator("a.face").first
        expected = first.get_attribute("href")
        first.click()
        page.wait_for_load_state("load")
        assert page.url.startswith(base + expected.split("#")[0]), (who, page.url)
        assert page.locator("#error-title").count() == 0, (who, page.url)
        # The same entries in the top-bar menu, on this page too.
        page.click("#site-menu summary")
        for path in work.values():
            assert page.locator(f"#site-menu a[href='{path}']").count() >= 1, (who, path)
        context.close()
    # A volunteer goes on duty from the home page itself, next to the task list.
    context = _phone(browser, geolocation={"latitude": 30.905, "longitude": 120.805}, permissions=["geolocation"])
    page = context.new_page()
    login(page, base, "vol2", DEMO_PASSWORD)
    assert page.locator("#task-lists").count() == 1
    toggle = page.locator("#duty-toggle")
    before = toggle.get_attribute("aria-checked")
    toggle.click()
    expect(toggle).not_to_have_attribute("aria-checked", before, timeout=15_000)
    context.close()

    _a_resident_opening_the_back_office_is_refused_in_chinese_in_the_layout(base, browser)
    _a_lost_connection_reads_as_a_chinese_sentence_not_failed_to_fetch(base, browser)


def _a_resident_opening_the_back_office_is_refused_in_chinese_in_the_layout(base, browser):
    context = _phone(browser)
    page = context.new_page()
    login(page, base, "resident1", DEMO_PASSWORD)
    response = page.goto(base + "/office/")
    assert response.status == 403
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.locator("#error-title").inner_text() == "你的账号不能使用此页面"
    assert "只有指挥调度人员可以进入后台" in page.locator(".error-reason").inner_text()
    assert page.locator("header.topbar #site-menu").count() == 1  # the layout, with the menu
    page.click(".error-ways a.btn.primary")
    page.wait_for_url(base + "/")
    context.close()


def test_maps_without_tiles_and_on_a_gcj02_base_map(asgi_live_server, browser, settings):
    in_thread(seed_world)
    _the_report_map_without_tiles_shows_the_grids_the_pin_and_a_hint(asgi_live_server, browser)
    settings.MAP_BASEMAP = "amap"
    _gcj02_transform_matches_known_pairs_and_amap_tiles_get_it(asgi_live_server, browser)


def _the_report_map_without_tiles_shows_the_grids_the_pin_and_a_hint(asgi_live_server, browser):
    context = _phone(browser, geolocation={"latitude": 30.905, "longitude": 120.805}, permissions=["geolocation"])
    page = context.new_page()
    page.route(lambda url: not url.startswith(asgi_live_server.url), lambda route: route.abort())  # no tiles
    page.goto(asgi_live_server.url + "/report/")
    hint = page.locator("#report-map .hz-map-hint")
    expect(hint).to_be_visible(timeout=15_000)
    assert "底图无法加载" in hint.inner_text()
    assert page.locator("#report-map path.leaflet-interactive").count() == 12  # the demo's twelve grids
    expect(page.locator("#report-map .hz-grid-label").first).to_be_visible()
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1, timeout=15_000)  # the pin
    # Zoomed to the pin but not past its grid: some grid's name is on screen next to the pin.
    page.wait_for_timeout(500)
    names_in_view = page.evaluate(
        """() => {
          const box = document.getElementById('report-map').getBoundingClientRect();
          return [...document.querySelectorAll('#report-map .hz-grid-label')].filter((el) => {
            const r = el.getBoundingClientRect();
            return r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
          }).length;
        }"""
    )
    assert names_in_view >= 1
    assert page.locator("#report-map .leaflet-marker-icon").get_attribute("alt") == "隐患位置（可拖动调整）"
    attribution = page.locator("#report-map .leaflet-control-attribution").inner_text()
    assert "Leaflet" not in attribution and "OpenStreetMap" in attribution
    assert page.locator("#report-map .leaflet-control-zoom-in").get_attribute("title") == "放大"
    context.close()


# WGS-84 → GCJ-02 pairs published with the eviltransform library's tests (Shanghai, Shenzhen,
# Beijing) and coordtransform's (Beijing, and Jiaxing next to the demo district).
GCJ02_PAIRS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    ((30.6107779, 121.0917077), (30.608604331756705, 121.09626935575027)),
]


def _gcj02_transform_matches_known_pairs_and_amap_tiles_get_it(asgi_live_server, browser):
    context = _phone(browser)
    page = context.new_page()
    page.route(lambda url: "autonavi.com" in url, lambda route: route.abort())
    page.goto(asgi_live_server.url + "/hazards/map/")
    wait_until(page, "window.HazardBasemap && document.querySelector('#public-map .leaflet-tile')")
    for (lat, lng), (glat, glng) in GCJ02_PAIRS:
        got = page.evaluate("([lat, lng]) => window.HazardBasemap.gcj02.fromWgs84(lat, lng)", [lat, lng])
        assert got == pytest.approx([glat, glng], abs=2e-6), (lat, lng)
        back = page.evaluate("([lat, lng]) => window.HazardBasemap.gcj02.toWgs84(lat, lng)", [glat, glng])
        assert back == pytest.approx([lat, lng], abs=1e-6), (glat, glng)
    assert page.evaluate("window.HazardBasemap.gcj02.fromWgs84(48.85, 2.35)") == [48.85, 2.35]  # Paris: no shift
    assert "autonavi.com" in page.locator("#public-map .leaflet-tile").first.get_attribute("src")
    # The map's CRS projects a WGS-84 point where plain web mercator puts its GCJ-02 image: markers
    # and outlines sit on AMap's streets, ~500 m from where they would on a WGS-84 map.
    crs_code, error_m, shift_m = page.evaluate(
        """() => {
          const map = document.getElementById('public-map').governMap;
          const here = L.latLng(30.905, 120.805);
          const g = HazardBasemap.gcj02.fromWgs84(here.lat, here.lng);
          const onGcj = map.options.crs.project(here);
          const expected = L.CRS.EPSG3857.project(L.latLng(g[0], g[1]));
          const plain = L.CRS.EPSG3857.project(here);
          return [map.options.crs.code, onGcj.distanceTo(expected), onGcj.distanceTo(plain)];
        }"""
    )
    assert crs_code == "GCJ02" and error_m < 0.01 and 300 < shift_m < 900
    assert "高德" in page.locator("#public-map .leaflet-control-attribution").inner_text()
    context.close()


def _a_lost_connection_reads_as_a_chinese_sentence_not_failed_to_fetch(base, browser):
    context = _phone(browser)
    page = context.new_page()
    login(page, base, "merchant1", DEMO_PASSWORD)
    page.goto(base + "/merchant/")
    context.set_offline(True)
    page.fill("#code", "ABCD-EFGH-JKMN")
    page.click("#use-button")
    result = page.locator("#use-result.error")
    expect(result).to_contain_text("无法连接服务器", timeout=15_000)
    assert "fetch" not in result.inner_text().lower()
    context.close()
