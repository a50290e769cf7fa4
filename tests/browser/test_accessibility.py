"""Every page of every demo account, in a real browser, on a phone (390 px) and a desktop (1440 px),
in Chinese and in English: axe-core finds no accessibility violation, the Chinese pages show no
English once their scripts have run (live updates, maps, error sentences), and no page throws.

One browser and one context per account and language; each page is loaded once per width. The
pages are those tests/demo_world.py lists (home, everything the menu offers, the detail pages
behind it, error pages): every account's home with its menu open and the pages of its own work
(the first section of its menu), any other page once, under the first account that reaches it (tests/pages/test_chinese.py reads every page of every account). GOVERN_SCREENSHOTS=<dir> also saves each account's home at both widths.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.audit import axe_violations, english_leaks
from tests.browser.harness import in_thread, login
from tests.conftest import SERVICES_MODE
from tests.demo_world import ACCOUNTS, DEMO_PASSWORD, pages_for, seed_world, work_paths

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(SERVICES_MODE, reason="the same templates and scripts: the embedded pass checks them"),
]

WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}
SCREENSHOTS = os.environ.get("GOVERN_SCREENSHOTS", "")


def _context(browser, base: str, language: str):
    context = browser.new_context(
        viewport={"width": 1440, "height": 900},
        locale="zh-CN" if language == "zh-hans" else "en-US",
        bypass_csp=True,  # to inject axe-core; the pages' own scripts run as they do for everyone
        geolocation={"latitude": 30.905, "longitude": 120.805},
        permissions=["geolocation"],
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context


def _settle(page) -> None:
    """Let the page's scripts finish what loading started (fragments, maps giving up on tiles)."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(250)


# The walk in four parts (two halves of the accounts, two languages), so that the suite's test
# processes share it; each part is still minutes of real browsing on a busy two-core machine.
HALVES = {"first": ACCOUNTS[: len(ACCOUNTS) // 2], "second": ACCOUNTS[len(ACCOUNTS) // 2 :]}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("half", list(HALVES))
def test_every_page_of_every_demo_account_is_accessible_and_in_its_language(asgi_live_server, browser, half, language):
    world = in_thread(seed_world)
    base = asgi_live_server.url
    problems: list[str] = []
    audited: set[str] = set()
    work = in_thread(lambda: {who: work_paths(who) for who in ACCOUNTS})
    for who in ACCOUNTS:
        # Every account's home and its own work (its rendering of those is its own: the
        # dispatcher's /office/ is the board, a resident's a refusal); any other page under the
        # first account that has it.
        paths = [p for p in pages_for(world, who) if p == "/" or p in work[who] or p not in audited]
        audited.update(paths)
        if who not in HALVES[half]:
            continue
        context = _context(browser, base, language)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        if who != "anonymous":
            login(page, base, who, DEMO_PASSWORD)
        for path in paths:
            for width_name, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(base + path)
                _settle(page)
                where = f"{who} {language} {width_name} {path}"
                if response is None or response.status >= 500:
                    problems.append(f"{where}: answered {response.status if response else 'nothing'}")
                    continue
                if page.get_attribute("html", "lang") != language:
                    problems.append(f"{where}: <html lang> is {page.get_attribute('html', 'lang')}")
                problems += [f"{where}: axe {line}" for line in axe_violations(page)]
                if language == "zh-hans":
                    problems += [f"{where}: English {line}" for line in english_leaks(page)]
                if path == "/":
                    # The top-bar menu, open: its entries are checked too.
                    page.click("#site-menu summary")
                    problems += [f"{where} (menu open): axe {line}" for line in axe_violations(page)]
                    if language == "zh-hans":
                        problems += [f"{where} (menu open): English {line}" for line in english_leaks(page)]
                    page.keyboard.press("Escape")
                    if SCREENSHOTS and language == "zh-hans":
                        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=f"{SCREENSHOTS}/{who}-{width_name}.png", full_page=True)
        problems += [f"{who} {language}: script error {e}" for e in errors]
        context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
