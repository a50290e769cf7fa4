"""The home page and the top-bar menu are built from the person's roles (govern.navigation)."""

from __future__ import annotations

import pytest

from govern.navigation import GRID_QUEUE_PATH, Navigation
from govern.roles import DISPATCHER, GRID_WORKER, MERCHANT_STAFF, RESIDENT, VOLUNTEER
from tests.factories import UserFactory, make_grid
from tests.premises.alerts_fixtures import make_premises

pytestmark = pytest.mark.django_db


def _keys(user) -> list[list[str]]:
    return [[e.key for e in s.entries] for s in Navigation(user).sections]


def _urls(user) -> set[str]:
    return {e.url for s in Navigation(user).sections for e in s.entries}


def test_each_role_brings_its_work_first_and_nothing_twice():
    assert _keys(None) == [["report", "track", "map", "shop", "join"]]
    assert _keys(UserFactory(roles=[RESIDENT])) == [["report", "my-reports", "track", "map", "wallet", "shop", "join"]]
    volunteer = _keys(UserFactory(roles=[RESIDENT, VOLUNTEER]))
    assert volunteer[0] == ["duty", "tasks", "wallet"]
    assert volunteer[1] == ["report", "my-reports", "track", "map", "shop"]  # the wallet is not offered twice
    assert _keys(UserFactory(roles=[GRID_WORKER])) == [["tasks", "grid", "inspections", "premises", "report"]]
    assert _keys(UserFactory(roles=[MERCHANT_STAFF]))[0] == ["merchant", "recent-uses", "offers", "statement"]
    dispatcher = _keys(UserFactory(roles=[DISPATCHER]))
    assert dispatcher[0][:5] == ["board", "dashboard", "campaigns", "approvals", "premises"]


def test_the_grid_queue_is_for_grid_workers_only():
    assert GRID_QUEUE_PATH in _urls(UserFactory(roles=[GRID_WORKER]))
    for roles in ([RESIDENT], [RESIDENT, VOLUNTEER], [DISPATCHER], [MERCHANT_STAFF]):
        assert GRID_QUEUE_PATH not in _urls(UserFactory(roles=roles))


def test_a_safety_officer_is_whoever_answers_for_a_premises(grid_with_types):
    officer = UserFactory(roles=[RESIDENT])
    assert "/sensors/" not in _urls(officer)
    make_premises(grid=grid_with_types, code="ENT-NAV", responsible_user=officer)
    sections = Navigation(officer).sections
    assert [s.key for s in sections] == ["safety", "resident"]
    assert [e.key for e in sections[0].entries] == ["sensors", "my-premises"]


def test_no_link_into_the_admin_for_anyone_who_cannot_use_it(client):
    dispatcher = UserFactory(roles=[DISPATCHER])
    assert not any(u.startswith("/admin/") for u in _urls(dispatcher))
    staff = UserFactory(roles=[DISPATCHER], is_staff=True)
    assert "/admin/" in _urls(staff)
    client.force_login(dispatcher)
    for path in ("/", "/office/", "/office/dashboard/", "/office/partners/", "/volunteers/approvals/", "/premises/"):
        html = client.get(path).content.decode()
        assert 'href="/admin' not in html, path


def test_every_page_has_the_menu_and_logging_in_lands_on_the_home_page(client):
    user = UserFactory(roles=[RESIDENT], username="menu-user")
    response = client.post("/accounts/login/", {"username": "menu-user", "password": "pw-govern-test"})
    assert response.status_code == 302 and response["Location"] == "/"
    for path in ("/", "/report/", "/wallet/", "/track/", "/no-such-page/"):
        html = client.get(path).content.decode()
        assert 'id="site-menu"' in html and 'href="/my/reports/"' in html, path
    home = client.get("/").content.decode()
    assert f"你好，{user.display_name or user.username}" in home


@pytest.fixture
def grid_with_types(db):
    from tests.reference import ensure_reference_data

    ensure_reference_data()
    return make_grid(west=120.80, south=30.90)
