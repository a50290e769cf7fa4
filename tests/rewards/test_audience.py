"""Coupon.audience: who may redeem, enforced inside the redemption's transaction (422
`not_eligible`, nothing written), shown as a badge in the shop and the API."""

from __future__ import annotations

import pytest

from govern.errors import DomainError, Unprocessable
from rewards import catalog, redemptions
from rewards.models import Coupon, Redemption
from tests.conftest import client_for
from tests.rewards.audience_helpers import make_community, make_member, make_team
from tests.rewards.conftest import assert_ledger_consistent, balance_of, fund, make_coupon

pytestmark = pytest.mark.django_db


def _redeem(user, coupon, key="k"):
    return redemptions.redemption_create(user_id=user.pk, coupon_id=coupon.pk, idempotency_key=key)


def test_a_resident_cannot_redeem_a_volunteers_only_coupon_and_nothing_is_written(resident, merchant):
    coupon = make_coupon(merchant, cost=50, stock_total=3, audience="volunteers")
    fund(resident, 100)
    response = client_for(resident).post(
        f"/api/v1/coupons/{coupon.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="try-1", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 422 and response.json()["code"] == "not_eligible"
    assert "志愿者" in response.json()["detail"]
    assert balance_of(resident) == 100 and Coupon.objects.get(pk=coupon.pk).stock_remaining == 3
    assert not Redemption.objects.exists()
    volunteer = make_member(make_community("黎里社区"))
    fund(volunteer.user, 100)
    assert _redeem(volunteer.user, coupon).created
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 2
    assert_ledger_consistent()


def test_pending_volunteers_teams_communities_and_hours(merchant):
    home, away = make_community("黎里社区"), make_community("芦墟社区")
    blue, red = make_team(home, "蓝盾队"), make_team(home, "红马甲")
    pending = make_member(home, team=blue, approved=False)
    in_blue, in_red = make_member(home, team=blue), make_member(home, team=red)
    elsewhere = make_member(away, minutes=600)
    veteran, novice = make_member(home, minutes=10 * 60), make_member(home, minutes=9 * 60 + 59)
    for v in (pending, in_blue, in_red, elsewhere, veteran, novice):
        fund(v.user, 1000)
    teams = make_coupon(merchant, cost=10, audience="teams", audience_team_ids=[blue.pk])
    community = make_coupon(merchant, cost=10, audience="community", audience_community_id=home.pk)
    hours = make_coupon(merchant, cost=10, audience="min_hours", audience_min_hours=10)
    cases = [
        (teams, in_blue, True),
        (teams, in_red, False),
        (teams, pending, False),  # in the team, but not approved
        (community, in_red, True),
        (community, elsewhere, False),
        (hours, veteran, True),
        (hours, novice, False),  # 9 h 59 min is not 10 hours
        (hours, elsewhere, True),
    ]
    for coupon, volunteer, allowed in cases:
        if allowed:
            assert _redeem(volunteer.user, coupon, key=f"c{coupon.pk}").created
        else:
            with pytest.raises(Unprocessable) as refused:
                _redeem(volunteer.user, coupon, key=f"c{coupon.pk}")
            assert refused.value.code == "not_eligible", (coupon.audience, volunteer)
            assert balance_of(volunteer.user) == 1000
    assert Redemption.objects.count() == 4
    assert_ledger_consistent()


def test_the_audience_is_checked_when_set(merchant):
    home = make_community("黎里社区")
    for kwargs, field in [
        ({"audience": "friends"}, "audience"),
        ({"audience": "community"}, "audience_community"),
        ({"audience": "min_hours", "audience_min_hours": 0}, "audience_min_hours"),
        ({"audience": "teams"}, "audience_teams"),
        ({"audience": "teams", "audience_team_ids": [987654]}, "audience_teams"),
    ]:
        with pytest.raises(DomainError) as refused:
            make_coupon(merchant, **kwargs)
        assert getattr(refused.value, "field", None) == field, kwargs
    coupon = make_coupon(merchant, audience="community", audience_community_id=home.pk)
    coupon = catalog.coupon_update(coupon_id=coupon.pk, audience="everyone")
    assert coupon.audience == "everyone" and coupon.audience_community_id is None


def test_shop_and_api_show_the_badge_and_the_shop_disables_the_button(client, resident, merchant, settings):
    home = make_community("黎里社区")
    blue = make_team(home, "蓝盾队")
    fund(resident, 500)
    make_coupon(merchant, title="志愿者专享茶", audience="volunteers")
    make_coupon(merchant, title="蓝盾队专享", audience="teams", audience_team_ids=[blue.pk])
    make_coupon(merchant, title="老志愿者", audience="min_hours", audience_min_hours=20)
    make_coupon(merchant, title="人人可换")
    client.force_login(resident)
    html = client.get("/shop/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert html.count('data-role="audience"') == 3
    assert "仅限志愿者" in html and "蓝盾队" in html and "20" in html
    assert html.count('data-role="redeem"') == 1  # only the coupon for everyone
    body = client_for(resident).get("/api/v1/coupons/", HTTP_ACCEPT_LANGUAGE="en").json()
    badges = {c["title"]: (c["audience"], c["audience_badge"]) for c in body["results"]}
    assert badges["人人可换"] == ("everyone", "")
    assert badges["志愿者专享茶"] == ("volunteers", "Volunteers only")
    assert badges["蓝盾队专享"] == ("teams", "Teams only: 蓝盾队")


@pytest.mark.parametrize("n", [2, 12])
def test_shop_with_audiences_constant_queries(client, resident, merchant, django_assert_max_num_queries, n):
    home = make_community("黎里社区")
    team = make_team(home, "蓝盾队")
    for i in range(n):
        make_coupon(
            merchant,
            audience=["volunteers", "teams", "community"][i % 3],
            audience_team_ids=[team.pk],
            audience_community_id=home.pk,
        )
    client.force_login(resident)
    with django_assert_max_num_queries(12):
        assert client.get("/shop/").status_code == 200


def test_admin_sets_and_checks_the_audience(client, admin_user, merchant):
    home = make_community("黎里社区")
    blue = make_team(home, "蓝盾队")
    client.force_login(admin_user)
    form = {
        "merchant": merchant.pk,
        "title": "蓝盾队专享",
        "kind": "goods",
        "cost": 30,
        "stock_total": 5,
        "per_user_limit": 1,
        "valid_from_0": "2026-01-01",
        "valid_from_1": "00:00:00",
        "valid_until_0": "2030-01-01",
        "valid_until_1": "00:00:00",
        "code_valid_for": "7 00:00:00",
        "active": "on",
        "audience": "teams",
    }
    refused = client.post("/admin/rewards/coupon/add/", form)
    assert refused.status_code == 200 and not Coupon.objects.exists()
    saved = client.post("/admin/rewards/coupon/add/", {**form, "audience_teams": [blue.pk]})
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    coupon = Coupon.objects.get()
    assert coupon.audience == "teams" and list(coupon.audience_teams.values_list("pk", flat=True)) == [blue.pk]
