"""API tests: contracts (paths, fields, statuses), errors as sentences, constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from govern.roles import MERCHANT_STAFF, RESIDENT
from rewards import ledger, redemptions
from rewards.api import CodeLookupThrottle
from rewards.models import PointsEntry, Redemption
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.rewards.conftest import assert_ledger_consistent, balance_of, fund, make_coupon, make_merchant

pytestmark = pytest.mark.django_db


def redeem(client, coupon_id, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"/api/v1/coupons/{coupon_id}/redeem/", **headers)


# --- points -----------------------------------------------------------------------------------


def test_points_shape_and_pagination(resident):
    for i in range(5):
        ledger.points_award(
            user_id=resident.pk, rule_code="report_verified", source_type="hazards.hazard", source_id=str(i)
        )
    body = client_for(resident).get("/api/v1/points/?page_size=2").json()
    assert body["balance"] == 50 and body["show_on_leaderboard"] is False
    assert body["earned_today"] == 50 and body["daily_cap"] == 200
    entries = body["entries"]
    assert entries["count"] == 5 and entries["previous"] is None and "page=2" in entries["next"]
    first = entries["results"][0]
    assert {"amount", "reason", "balance_after", "created_at", "kind", "source_type", "source_id"} <= set(first)
    assert first["amount"] == 10 and first["balance_after"] == 50 and first["source_id"] == "4"


def test_points_for_a_user_without_account(resident):
    body = client_for(resident).get("/api/v1/points/").json()
    assert body["balance"] == 0 and body["entries"]["count"] == 0


def test_points_needs_login(api):
    assert api.get("/api/v1/points/").status_code == 401


@pytest.mark.parametrize("n", [3, 30])
def test_points_constant_queries(resident, django_assert_max_num_queries, n):
    for i in range(n):
        ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="h", source_id=str(i))
    client = client_for(resident)
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/points/?page_size=100").status_code == 200


def test_points_patch_toggles_leaderboard(resident):
    client = client_for(resident)
    assert (
        client.patch("/api/v1/points/", {"show_on_leaderboard": True}, format="json").json()["show_on_leaderboard"]
        is True
    )
    bad = client.patch("/api/v1/points/", {"show_on_leaderboard": "maybe"}, format="json")
    assert bad.status_code == 400 and "show_on_leaderboard" in bad.json()["errors"]


def test_adjust_by_dispatcher(resident, dispatcher):
    client = client_for(dispatcher)
    created = client.post(
        "/api/v1/points/adjust/",
        {"user": resident.pk, "amount": 30, "reason": "Helped at the drill"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="adj-1",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["balance"] == 30 and body["user"] == resident.pk and body["entry"]["reason"] == "Helped at the drill"
    replay = client.post(
        "/api/v1/points/adjust/",
        {"user": resident.pk, "amount": 30, "reason": "Helped at the drill"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="adj-1",
    )
    assert replay.status_code == 200 and replay.json()["entry"]["id"] == body["entry"]["id"]
    assert balance_of(resident) == 30
    for other in ({"amount": 31, "reason": "Helped at the drill"}, {"amount": 30, "reason": "Something else"}):
        reused = client.post(
            "/api/v1/points/adjust/", {"user": resident.pk, **other}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1"
        )
        assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused", other
    assert balance_of(resident) == 30


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"amount": 0, "reason": "x"}, 400, "amount"),
        ({"amount": "ten", "reason": "x"}, 400, "amount"),
        ({"amount": 5}, 400, "reason"),
        ({"amount": 5, "reason": "   "}, 400, "reason"),
        ({"amount": -5, "reason": "x"}, 422, None),
    ],
)
def test_adjust_refusals(resident, dispatcher, payload, status, field):
    response = client_for(dispatcher).post("/api/v1/points/adjust/", {"user": resident.pk, **payload}, format="json")
    assert response.status_code == status
    assert response.json()["detail"]
    if field:
        assert field in response.json()["errors"]
    assert not PointsEntry.objects.exists()


def test_adjust_permissions(resident, dispatcher):
    assert (
        client_for(resident)
        .post("/api/v1/points/adjust/", {"user": resident.pk, "amount": 5, "reason": "x"}, format="json")
        .status_code
        == 403
    )
    own = client_for(dispatcher).post(
        "/api/v1/points/adjust/", {"user": dispatcher.pk, "amount": 5, "reason": "x"}, format="json"
    )
    assert own.status_code == 403 and own.json()["detail"]
    missing = client_for(dispatcher).post(
        "/api/v1/points/adjust/", {"user": 999_999, "amount": 5, "reason": "x"}, format="json"
    )
    assert missing.status_code == 404 and "user" in missing.json()["errors"]


# --- coupons -----------------------------------------------------------------------------------


def test_coupon_list_contract(api, coupon):
    body = api.get("/api/v1/coupons/").json()
    assert body["count"] == 1
    item = body["results"][0]
    for field in (
        "id",
        "title",
        "merchant",
        "kind",
        "cost",
        "stock_total",
        "stock_remaining",
        "per_user_limit",
        "valid_from",
        "valid_until",
    ):
        assert field in item, field
    assert item["merchant"] == {"id": coupon.merchant_id, "name": coupon.merchant.name, "address": ""}
    assert item["kind"] == "discount" and item["cost"] == 100 and item["stock_remaining"] == 10
    assert item["available"] is True and item["redeemed_by_me"] == 0 and item["code_valid_for"] == 7 * 86400


def test_coupon_list_hides_ended_and_inactive_and_filters(api, merchant):
    now = timezone.now()
    shown = make_coupon(merchant, kind="goods")
    make_coupon(merchant, active=False)
    make_coupon(merchant, valid_from=now - timedelta(days=3), valid_until=now - timedelta(days=1))
    soon = make_coupon(merchant, valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=3))
    ids = [c["id"] for c in api.get("/api/v1/coupons/").json()["results"]]
    assert sorted(ids) == sorted([shown.pk, soon.pk])
    assert [c["id"] for c in api.get("/api/v1/coupons/?kind=goods").json()["results"]] == [shown.pk]
    assert api.get("/api/v1/coupons/?kind=cash").status_code == 400
    other = make_merchant()
    make_coupon(other)
    assert api.get(f"/api/v1/coupons/?merchant={other.pk}").json()["count"] == 1


@pytest.mark.parametrize("n", [2, 25])
def test_coupon_list_constant_queries(resident, merchant, django_assert_max_num_queries, n):
    fund(resident, 10_000)
    for _ in range(n):
        c = make_coupon(merchant, cost=1)
        redemptions.redemption_create(user_id=resident.pk, coupon_id=c.pk, idempotency_key=f"k{c.pk}")
    client = client_for(resident)
    with django_assert_max_num_queries(4):  # one of them: the audience teams of every coupon at once
        body = client.get("/api/v1/coupons/?page_size=100").json()
    assert body["count"] == n and all(item["redeemed_by_me"] == 1 for item in body["results"])


def test_coupon_detail(api, coupon):
    assert api.get(f"/api/v1/coupons/{coupon.pk}/").json()["id"] == coupon.pk
    assert api.get("/api/v1/coupons/999999/").status_code == 404


# --- redeem ------------------------------------------------------------------------------------


def test_redeem_201_then_replay_200(resident, coupon):
    fund(resident, 300)
    client = client_for(resident)
    created = redeem(client, coupon.pk)
    assert created.status_code == 201
    body = created.json()
    assert {"id", "code", "status", "expires_at", "coupon"} <= set(body)
    assert body["status"] == "issued" and len(body["code"]) >= 12 and body["coupon"]["id"] == coupon.pk
    assert (
        body["coupon"]["merchant"]["name"] == coupon.merchant.name
        and body["qr"] == f"/api/v1/redemptions/{body['id']}/qr/"
    )
    replay = redeem(client, coupon.pk)
    assert replay.status_code == 200 and replay.json() == body
    assert balance_of(resident) == 200


def test_redeem_same_key_other_coupon_is_422(resident, merchant, coupon):
    fund(resident, 300)
    client = client_for(resident)
    redeem(client, coupon.pk)
    other = make_coupon(merchant)
    response = redeem(client, other.pk)
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"


def test_redeem_without_key_is_400_naming_the_header(resident, coupon):
    fund(resident, 300)
    response = redeem(client_for(resident), coupon.pk, key=None)
    assert response.status_code == 400
    body = response.json()
    assert "Idempotency-Key" in body["detail"] and "Idempotency-Key" in body["errors"]
    assert not Redemption.objects.exists()


def test_redeem_needs_login(api, coupon):
    assert redeem(api, coupon.pk).status_code == 401


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ({"balance": 50}, 422, "insufficient_points"),
        ({"stock_total": 0}, 409, "out_of_stock"),
        ({"future": True}, 422, "outside_window"),
        ({"limit_used": True}, 422, "limit_reached"),
    ],
)
def test_redeem_refusals_are_sentences(resident, merchant, setup, status, code):
    now = timezone.now()
    kwargs = {"stock_total": setup.get("stock_total", 5)}
    if setup.get("future"):
        kwargs.update(valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=2))
    coupon = make_coupon(merchant, **kwargs)
    fund(resident, setup.get("balance", 1000))
    client = client_for(resident)
    if setup.get("limit_used"):
        assert redeem(client, coupon.pk, key="first").status_code == 201
    response = redeem(client, coupon.pk, key="second")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["detail"].endswith(("。", "."))


def test_redeem_messages_in_english_and_chinese(resident, merchant):
    coupon = make_coupon(merchant, cost=100)
    fund(resident, 10)
    client = client_for(resident)
    zh = redeem(client, coupon.pk, key="a").json()["detail"]
    en = client.post(
        f"/api/v1/coupons/{coupon.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="b", HTTP_ACCEPT_LANGUAGE="en"
    ).json()["detail"]
    assert en.startswith("Not enough points") and "积分不足" in zh


# --- my redemptions -------------------------------------------------------------------------------


def test_redemptions_are_mine_only_and_filterable(resident, volunteer_user, merchant):
    coupon = make_coupon(merchant, per_user_limit=3, cost=10)
    fund(resident, 100)
    fund(volunteer_user, 100)
    mine = [
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=k).redemption
        for k in "ab"
    ]
    redemptions.redemption_create(user_id=volunteer_user.pk, coupon_id=coupon.pk, idempotency_key="x")
    redemptions.redemption_cancel(redemption_id=mine[0].pk, actor=resident)
    client = client_for(resident)
    body = client.get("/api/v1/redemptions/").json()
    assert [r["id"] for r in body["results"]] == [mine[1].pk, mine[0].pk]
    assert [r["id"] for r in client.get("/api/v1/redemptions/?status=cancelled").json()["results"]] == [mine[0].pk]
    assert client.get("/api/v1/redemptions/?status=lost").status_code == 400
    assert client.get(f"/api/v1/redemptions/{mine[1].pk}/").json()["code"] == mine[1].code
    other = Redemption.objects.get(user=volunteer_user)
    assert client.get(f"/api/v1/redemptions/{other.pk}/").status_code == 404


@pytest.mark.parametrize("n", [2, 25])
def test_redemptions_constant_queries(resident, django_assert_max_num_queries, n):
    fund(resident, 10_000)
    for i in range(n):
        merchant = make_merchant()
        coupon = make_coupon(merchant, cost=1)
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=f"k{i}")
    client = client_for(resident)
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/redemptions/?page_size=100").json()["count"] == n


def test_qr_image(resident, volunteer_user, coupon):
    fund(resident, 100)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption
    svg = client_for(resident).get(f"/api/v1/redemptions/{r.pk}/qr/")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client_for(resident).get(f"/api/v1/redemptions/{r.pk}/qr/?kind=png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert client_for(volunteer_user).get(f"/api/v1/redemptions/{r.pk}/qr/").status_code == 404


def test_qr_decodes_to_the_code(resident, coupon):
    """The QR must carry exactly the code, so a scanner can fill the merchant's field."""
    import segno

    fund(resident, 100)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption
    expected = segno.make(r.code, error="m", micro=False)
    assert expected.designator  # symbol built from the code itself
    svg = client_for(resident).get(f"/api/v1/redemptions/{r.pk}/qr/").content.decode()
    assert svg == expected.svg_inline(scale=8, border=2)


def test_cancel_endpoint(resident, coupon):
    fund(resident, 100)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption
    client = client_for(resident)
    response = client.post(f"/api/v1/redemptions/{r.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/redemptions/{r.pk}/cancel/")
    assert again.status_code == 409 and again.json()["detail"]
    assert balance_of(resident) == 100


# --- use at the merchant ----------------------------------------------------------------------------


@pytest.fixture
def issued(resident, coupon):
    fund(resident, 100)
    return redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption


def test_use_200_then_409_already_used(issued, staff_user):
    client = client_for(staff_user)
    ok = client.post("/api/v1/redemptions/use/", {"code": issued.display_code}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "used" and ok.json()["used_at"]
    again = client.post("/api/v1/redemptions/use/", {"code": issued.code}, format="json")
    assert again.status_code == 409
    local = timezone.localtime(Redemption.objects.get(pk=issued.pk).used_at).strftime("%Y-%m-%d %H:%M")
    assert local in again.json()["detail"]
    en = client.post("/api/v1/redemptions/use/", {"code": issued.code}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["detail"] == f"This code was already used at {local}."


def test_use_other_merchant_404_and_non_staff_403(issued, resident):
    other_staff = UserFactory(roles=[MERCHANT_STAFF])
    make_merchant(staff=[other_staff])
    assert (
        client_for(other_staff).post("/api/v1/redemptions/use/", {"code": issued.code}, format="json").status_code
        == 404
    )
    assert (
        client_for(resident).post("/api/v1/redemptions/use/", {"code": issued.code}, format="json").status_code == 403
    )
    missing = client_for(other_staff).post("/api/v1/redemptions/use/", {}, format="json")
    assert missing.status_code == 400 and "code" in missing.json()["errors"]
    assert Redemption.objects.get(pk=issued.pk).status == "issued"


def test_use_is_throttled_with_retry_after(issued, staff_user, monkeypatch):
    monkeypatch.setattr(CodeLookupThrottle, "THROTTLE_RATES", {"code_lookup": "3/min"})
    cache.delete(f"throttle_code_lookup_{staff_user.pk}")
    client = client_for(staff_user)
    statuses = [
        client.post("/api/v1/redemptions/use/", {"code": f"WRONG{i}CODE2345"}, format="json").status_code
        for i in range(3)
    ]
    assert statuses == [404, 404, 404]
    blocked = client.post("/api/v1/redemptions/use/", {"code": issued.code}, format="json")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0 and blocked.json()["detail"]
    assert Redemption.objects.get(pk=issued.pk).status == "issued"
    cache.delete(f"throttle_code_lookup_{staff_user.pk}")


# --- leaderboard ----------------------------------------------------------------------------------


def test_leaderboard_names_only_by_opt_in(api, dispatcher):
    alice = UserFactory(roles=[RESIDENT], display_name="Alice")
    bob = UserFactory(roles=[RESIDENT], display_name="Bob")
    carol = UserFactory(roles=[RESIDENT], display_name="Carol")
    for i in range(3):
        ledger.points_award(user_id=alice.pk, rule_code="report_verified", source_type="h", source_id=f"a{i}")
    ledger.points_award(user_id=bob.pk, rule_code="task_verified", source_type="t", source_id="b", severity="critical")
    ledger.points_adjust(user_id=carol.pk, amount=1000, reason="gift", actor=dispatcher)  # adjustments do not rank
    ledger.points_account_set_leaderboard(user_id=alice.pk, show=True)
    body = api.get("/api/v1/leaderboard/").json()
    assert body["period"] == "month"
    assert body["results"] == [
        {"rank": 1, "name": None, "points": 60, "is_me": False},
        {"rank": 2, "name": "Alice", "points": 30, "is_me": False},
    ]
    assert body["me"] is None
    mine = client_for(bob).get("/api/v1/leaderboard/?period=all").json()
    assert mine["results"][0]["is_me"] is True and mine["me"]["rank"] == 1
    assert api.get("/api/v1/leaderboard/?period=decade").status_code == 400


def test_leaderboard_reversed_earnings_do_not_count(api, dispatcher, resident):
    award = ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="h", source_id="1")
    ledger.points_reverse(entry_id=award.entry.pk, reason="prank", actor=dispatcher)
    assert api.get("/api/v1/leaderboard/").json()["results"] == []


@pytest.mark.parametrize("n", [3, 30])
def test_leaderboard_constant_queries(settings, django_assert_max_num_queries, n):
    settings.LEADERBOARD_SIZE = 2  # the viewer ranks below the board: their rank costs two more queries
    viewer = UserFactory(roles=[RESIDENT])
    for i in range(n):
        user = UserFactory(roles=[RESIDENT])
        ledger.points_award(user_id=user.pk, rule_code="task_verified", source_type="t", source_id=str(i))
    ledger.points_award(user_id=viewer.pk, rule_code="report_verified", source_type="h", source_id="v")
    client = client_for(viewer)
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/leaderboard/").json()
    assert len(body["results"]) == 2 and body["me"]["rank"] == n + 1 and body["me"]["points"] == 10


def test_schema_documents_the_contracts(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/points/",
        "/api/v1/points/adjust/",
        "/api/v1/coupons/",
        "/api/v1/coupons/{id}/redeem/",
        "/api/v1/redemptions/",
        "/api/v1/redemptions/use/",
        "/api/v1/redemptions/{id}/cancel/",
        "/api/v1/leaderboard/",
    ):
        assert path in paths, path
    redeem_op = paths["/api/v1/coupons/{id}/redeem/"]["post"]
    assert any(
        p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"] for p in redeem_op["parameters"]
    )
    assert {"200", "201", "400", "409", "422"} <= set(redeem_op["responses"])
    assert {"200", "404", "409", "429"} <= set(paths["/api/v1/redemptions/use/"]["post"]["responses"])


def test_ledger_stays_consistent_through_the_api(resident, staff_user, coupon):
    fund(resident, 500)
    client = client_for(resident)
    ids = [redeem(client, coupon.pk, key=f"k{i}").json().get("id") for i in range(2)]
    client_for(staff_user).post(
        "/api/v1/redemptions/use/", {"code": Redemption.objects.get(pk=ids[0]).code}, format="json"
    )
    assert_ledger_consistent()
