"""Apply → approve → on duty, in a real headless Chromium over HTTP and WebSockets.

A visitor applies on a phone (creating their account in the same form); the application appears on
the dispatcher's open approvals page without a reload; the dispatcher approves in place; the
applicant's open page turns approved live; the duty switch sends the phone's geolocation; the
dispatchers' live road carries the position; dispatch's candidate selector finds the volunteer.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from govern.roles import ALL_ROLES, DISPATCHER
from tests.browser.harness import wait_until
from tests.factories import CommunityFactory, UserFactory
from volunteers import selectors, services
from volunteers.models import Skill, Volunteer

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 15_000


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("main input[name=username]", username)
    page.fill("main input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


# Collects the dispatchers' live events in the page, to check what the back-office map receives.
LISTEN = """
(lastId) => new Promise((resolve) => {
  window.__dispatch = [];
  const ws = new WebSocket(`ws://${location.host}/ws/live/?last_event_id=${lastId}`);
  ws.onmessage = (m) => window.__dispatch.push(JSON.parse(m.data));
  ws.onopen = () => resolve(true);
})
"""


def test_apply_approve_and_go_on_duty(asgi_live_server, phone_context, desktop_context):
    from playwright.sync_api import expect

    for role in ALL_ROLES:  # a transactional test may follow another one's flush
        Group.objects.get_or_create(name=role)
    community = CommunityFactory(code="lili", name="黎里社区")
    team = services.team_create(community_id=community.pk, name="黎里蓝盾志愿队")
    Skill.objects.get_or_create(slug="gas-safety", defaults={"name": "燃气安全", "name_en": "Gas safety"})
    UserFactory(username="office", roles=[DISPATCHER])
    base = asgi_live_server.url

    # The dispatcher has the approval list open before anyone applies.
    office = desktop_context.new_page()
    login(office, base, "office", "pw-govern-test")
    office.goto(f"{base}/volunteers/approvals/")
    expect(office.locator("#applications-empty")).to_be_visible()
    office.evaluate(LISTEN, int(office.evaluate("document.body.dataset.lastEventId")))

    # A visitor applies on a phone, creating the account in the same form.
    phone = phone_context.new_page()
    phone.goto(f"{base}/volunteers/apply/")
    phone.fill("#id_username", "walkin")
    phone.fill("#id_password1", "S3cure-pass-xyz")
    phone.fill("#id_password2", "S3cure-pass-xyz")
    phone.fill("#id_real_name", "陈志愿")
    phone.fill("#id_phone", "13912345678")
    phone.select_option("#id_community", str(community.pk))
    phone.select_option("#id_team", str(team.pk))
    phone.check("input[name=skills][value=gas-safety]")
    until = (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    phone.fill("input[name='until_gas-safety']", until)  # revealed by apply.js when the skill is ticked
    phone.check("input[name=weekdays][value='6']")
    phone.fill("#id_start", "09:00")
    phone.fill("#id_end", "12:00")
    phone.click("#apply-submit")
    phone.wait_for_url(f"{base}/volunteers/me/")
    expect(phone.locator("#vol-status-label")).to_have_text("待审核")
    expect(phone.locator("#duty-toggle")).to_be_disabled()

    # It appears on the dispatcher's open page, live; approve in place.
    card = office.locator(".vol-app", has_text="陈志愿")
    expect(card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(card).to_contain_text("13912345678")
    expect(office.locator("#application-count")).to_have_text("1")
    card.get_by_role("button", name="批准").click()
    expect(card).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(office.locator("#application-count")).to_have_text("0")

    # The applicant's open page turns approved without a reload; the duty switch sends the position.
    expect(phone.locator("#vol-status-label")).to_have_text("已通过", timeout=LIVE_TIMEOUT_MS)
    toggle = phone.locator("#duty-toggle")
    expect(toggle).to_be_enabled()
    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "true", timeout=LIVE_TIMEOUT_MS)
    expect(phone.locator("#duty-label")).to_have_text("值班中")

    volunteer = Volunteer.objects.get(user__username="walkin")
    assert volunteer.status == "approved" and volunteer.on_duty
    assert (volunteer.latitude, volunteer.longitude) == pytest.approx((30.905, 120.805))
    assert volunteer.skill_links.get().certified_until.isoformat() == until
    candidates = selectors.volunteer_candidates(
        latitude=30.9051, longitude=120.8051, radius_m=500, skill_slug="gas-safety"
    )
    assert [c.pk for c in candidates] == [volunteer.pk]

    # The dispatchers' live road carried the decision and the position (what the office map uses).
    wait_until(
        office,
        "() => (window.__dispatch || []).some(e => e.type === 'volunteer.duty_changed' && e.data.on_duty)",
        timeout=LIVE_TIMEOUT_MS,
    )
    received = json.loads(office.evaluate("JSON.stringify(window.__dispatch)"))
    types = [e["type"] for e in received]
    assert "volunteer.applied" in types and "volunteer.status_changed" in types
    duty = next(e for e in received if e["type"] == "volunteer.duty_changed")
    assert duty["data"]["latitude"] == pytest.approx(30.905) and duty["data"]["user_id"] == volunteer.user_id

    # Off duty again: the position is forgotten.
    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "false", timeout=LIVE_TIMEOUT_MS)
    volunteer.refresh_from_db()
    assert not volunteer.on_duty and volunteer.latitude is None
