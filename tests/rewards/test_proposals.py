"""Merchants run their offers: staff propose, a dispatcher approves or returns with a reason; only
approved offers are sold; the monthly statement of codes used (page and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from govern.errors import Conflict, InvalidInput, PermissionDenied, Unprocessable
from govern.models import LiveEvent
from govern.roles import MERCHANT_STAFF
from rewards import redemptions, selectors
from rewards.models import Coupon, CouponReview, Redemption
from rewards.proposals import coupon_proposal_revise, coupon_propose, coupon_review
from tests.factories import UserFactory
from tests.hazards.images import jpeg_bytes, upload
from tests.rewards.conftest import assert_ledger_consistent, balance_of, fund, make_coupon, make_merchant

pytestmark = pytest.mark.django_db


def terms(**overrides) -> dict:
    now = timezone.now()
    values = {
        "title": "凭券立减5元",
        "cost": 50,
        "stock_total": 20,
        "valid_from": now - timedelta(hours=1),
        "valid_until": now + timedelta(days=30),
    }
    values.update(overrides)
    return values


def propose(staff, merchant, **overrides) -> Coupon:
    return coupon_propose(actor=staff, merchant_id=merchant.pk, **terms(**overrides))


def test_a_proposal_is_not_sold_until_a_dispatcher_approves_it(staff_user, merchant, resident, dispatcher):
    fund(resident, 200)
    proposal = propose(staff_user, merchant)
    assert proposal.review == CouponReview.PROPOSED and proposal.proposed_by == staff_user
    with pytest.raises(Unprocessable) as refused:
        redemptions.redemption_create(user_id=resident.pk, coupon_id=proposal.pk, idempotency_key="early")
    assert refused.value.code == "inactive"
    assert balance_of(resident) == 200 and not Redemption.objects.exists()
    assert proposal.pk not in [c.pk for c in selectors.coupon_list()]
    coupon_review(actor=dispatcher, coupon_id=proposal.pk, approve=True)
    result = redemptions.redemption_create(user_id=resident.pk, coupon_id=proposal.pk, idempotency_key="now")
    assert result.created and balance_of(resident) == 150
    assert_ledger_consistent()


def test_returned_with_a_reason_then_changed_and_proposed_again(staff_user, merchant, dispatcher):
    proposal = propose(staff_user, merchant)
    with pytest.raises(InvalidInput) as no_reason:
        coupon_review(actor=dispatcher, coupon_id=proposal.pk, approve=False, reason=" ")
    assert no_reason.value.field == "reason"
    coupon_review(actor=dispatcher, coupon_id=proposal.pk, approve=False, reason="库存写得太多")
    proposal.refresh_from_db()
    assert (proposal.review, proposal.review_reason, proposal.reviewed_by) == ("returned", "库存写得太多", dispatcher)
    event = LiveEvent.objects.filter(type="coupon.reviewed").get()
    assert event.data["review"] == "returned" and event.data["reason"] == "库存写得太多"
    with pytest.raises(Conflict):
        coupon_review(actor=dispatcher, coupon_id=proposal.pk, approve=True)  # not waiting any more
    coupon_proposal_revise(actor=staff_user, coupon_id=proposal.pk, stock_total=5)
    proposal.refresh_from_db()
    assert (proposal.review, proposal.review_reason, proposal.stock_total) == ("proposed", "", 5)
    coupon_review(actor=dispatcher, coupon_id=proposal.pk, approve=True)
    with pytest.raises(Conflict):
        coupon_proposal_revise(actor=staff_user, coupon_id=proposal.pk, cost=1)  # approved: the admin's now


def test_only_staff_of_the_merchant_propose_and_only_dispatchers_decide(staff_user, merchant, resident):
    other = make_merchant(staff=[UserFactory(roles=[MERCHANT_STAFF])])
    with pytest.raises(PermissionDenied):
        propose(staff_user, other)
    with pytest.raises(PermissionDenied):
        propose(resident, merchant)
    proposal = propose(staff_user, merchant)
    with pytest.raises(PermissionDenied):
        coupon_review(actor=staff_user, coupon_id=proposal.pk, approve=True)
    with pytest.raises(InvalidInput) as no_stock:
        propose(staff_user, merchant, stock_total=0)
    assert no_stock.value.field == "stock_total"
    with pytest.raises(InvalidInput) as ended:
        propose(staff_user, merchant, valid_until=timezone.now() - timedelta(minutes=1))
    assert ended.value.field == "valid_until"


def _form(**overrides) -> dict:
    now = timezone.localtime()
    data = {
        "title": "社区超市满50减5",
        "description": "凭码到店使用",
        "kind": "discount",
        "cost": "60",
        "stock_total": "10",
        "per_user_limit": "1",
        "valid_from": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        "code_valid_days": "7",
        "audience": "volunteers",
    }
    data.update(overrides)
    return data


def test_staff_propose_on_their_page_with_an_image_through_the_media_pipeline(client, staff_user, merchant):
    client.force_login(staff_user)
    assert client.get("/merchant/offers/").status_code == 200
    photo = upload("offer.jpg", jpeg_bytes(size=(1600, 1200), gps=True))
    response = client.post("/merchant/offers/", {**_form(), "merchant": merchant.pk, "image": photo})
    assert response.status_code == 302
    coupon = Coupon.objects.get(title="社区超市满50减5")
    assert coupon.review == "proposed" and coupon.audience == "volunteers" and coupon.code_valid_for.days == 7
    with coupon.image.open("rb") as stored:
        image = Image.open(stored)
        assert max(image.size) <= 1200 and image.format == "JPEG" and not image.getexif()
    page = client.get("/merchant/offers/").content.decode()
    assert f'id="offer-{coupon.pk}" data-review="proposed"' in page


def test_the_propose_form_names_the_field_in_chinese(client, staff_user, merchant):
    client.force_login(staff_user)
    bad = client.post("/merchant/offers/", {**_form(cost="0"), "merchant": merchant.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400 and not Coupon.objects.exists()
    assert "has-error" in bad.content.decode()
    garbage = client.post(
        "/merchant/offers/",
        {**_form(), "merchant": merchant.pk, "image": upload("x.jpg", b"not an image at all")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert garbage.status_code == 400 and not Coupon.objects.exists()


def test_dispatchers_approve_and_return_on_their_page(client, staff_user, merchant, dispatcher, resident):
    waiting = propose(staff_user, merchant, title="甲")
    second = propose(staff_user, merchant, title="乙")
    client.force_login(resident)
    assert client.get("/office/coupon-proposals/").status_code == 403
    client.force_login(dispatcher)
    page = client.get("/office/coupon-proposals/").content.decode()
    assert f'id="proposal-{waiting.pk}"' in page and f'id="proposal-{second.pk}"' in page
    client.post(f"/office/coupon-proposals/{waiting.pk}/decide/", {"decision": "approve"})
    client.post(f"/office/coupon-proposals/{second.pk}/decide/", {"decision": "return", "reason": "图片不清楚"})
    waiting.refresh_from_db()
    second.refresh_from_db()
    assert waiting.review == "approved" and (second.review, second.review_reason) == ("returned", "图片不清楚")
    client.force_login(staff_user)
    mine = client.get("/merchant/offers/").content.decode()
    assert "图片不清楚" in mine


@pytest.mark.parametrize("n", [2, 12])
def test_proposal_pages_constant_queries(client, staff_user, merchant, dispatcher, django_assert_max_num_queries, n):
    for i in range(n):
        propose(staff_user, merchant, title=f"券{i}")
    client.force_login(dispatcher)
    with django_assert_max_num_queries(14):
        assert client.get("/office/coupon-proposals/").status_code == 200
    client.force_login(staff_user)
    with django_assert_max_num_queries(16):
        assert client.get("/merchant/offers/").status_code == 200


def _use_codes(coupon, staff, n: int) -> list[Redemption]:
    used = []
    for i in range(n):
        buyer = UserFactory()
        fund(buyer, coupon.cost)
        issued = redemptions.redemption_create(user_id=buyer.pk, coupon_id=coupon.pk, idempotency_key=f"s{i}")
        used.append(redemptions.redemption_use(code=issued.redemption.code, actor=staff))
    return used


def test_monthly_statement_page_and_csv_in_both_languages(client, staff_user, merchant, dispatcher):
    coupon = make_coupon(merchant, title="=HYPERLINK(1)", cost=30, stock_total=10)
    used = _use_codes(coupon, staff_user, 3)
    other = make_merchant(staff=[UserFactory(roles=[MERCHANT_STAFF])])
    _use_codes(make_coupon(other, cost=20), other.staff.get(), 1)
    month = timezone.localdate().strftime("%Y-%m")
    client.force_login(staff_user)
    page = client.get("/merchant/statement/", {"month": month}).content.decode()
    assert 'id="statement-codes"' in page and used[0].display_code in page
    zh = client.get(
        "/merchant/statement.csv", {"merchant": merchant.pk, "month": month}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    rows = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
    assert rows[0][0] == "核销时间" and len(rows) == 4
    assert rows[1][3] == "'=HYPERLINK(1)" and rows[1][4] == "30"
    en = client.get("/merchant/statement.csv", {"merchant": merchant.pk, "month": month, "lang": "en"})
    assert en.content.decode("utf-8-sig").splitlines()[0] == "used_at,code,coupon_id,coupon,points,checked_by"
    assert client.get("/merchant/statement.csv", {"merchant": other.pk, "month": month}).status_code == 403
    bad = client.get("/merchant/statement/", {"month": "2026-13"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400 and 'id="statement-error"' in bad.content.decode()
    client.force_login(dispatcher)
    overview = client.get("/merchant/statement/", {"month": month}).content.decode()
    assert merchant.name in overview and other.name in overview
    assert client.get("/merchant/statement.csv", {"merchant": other.pk, "month": month}).status_code == 200


@pytest.mark.parametrize("n", [1, 8])
def test_statement_constant_queries(client, staff_user, merchant, dispatcher, django_assert_max_num_queries, n):
    coupon = make_coupon(merchant, cost=10, stock_total=20)
    _use_codes(coupon, staff_user, n)
    for _ in range(n):
        make_merchant()
    client.force_login(dispatcher)
    with django_assert_max_num_queries(14):
        assert client.get("/merchant/statement/", {"merchant": merchant.pk}).status_code == 200


def test_clawback_page_for_dispatchers(client, dispatcher, resident):
    assert client.get("/office/clawbacks/").status_code == 302
    client.force_login(resident)
    assert client.get("/office/clawbacks/").status_code == 403
    client.force_login(dispatcher)
    for state in ("open", "resolved", "full", "all", "nonsense"):
        assert client.get("/office/clawbacks/", {"state": state}).status_code == 200
    assert 'href="/office/clawbacks/"' in client.get("/office/").content.decode()


def _clawbacks(n: int) -> None:
    from rewards.models import EarningRule, PointsAward, PointsClawback

    rule = EarningRule.objects.get_or_create(code="task_verified", defaults={"name": "任务核验", "points": 20})[0]
    for i in range(n):
        award = PointsAward.objects.create(
            rule=rule, user=UserFactory(), source_type="hazards.task", source_id=f"q{i}", points_due=20, points_paid=0
        )
        PointsClawback.objects.create(award=award, points_paid=20, points_taken=5, shortfall=15, reason="重开")


@pytest.mark.parametrize("n", [2, 15])
def test_clawback_page_constant_queries(client, dispatcher, django_assert_max_num_queries, n):
    _clawbacks(n)
    client.force_login(dispatcher)
    with django_assert_max_num_queries(10):
        page = client.get("/office/clawbacks/", {"state": "open"})
    assert page.status_code == 200 and page.content.decode().count('id="clawback-') == n


@pytest.mark.parametrize("n", [2, 12])
def test_offer_api_lists_constant_queries(staff_user, merchant, dispatcher, django_assert_max_num_queries, n):
    from tests.conftest import client_for

    for i in range(n):
        propose(staff_user, merchant, title=f"券{i}")
    with django_assert_max_num_queries(10):
        listed = client_for(dispatcher).get("/api/v1/coupon-proposals/")
    assert listed.status_code == 200 and listed.json()["count"] == n
    with django_assert_max_num_queries(10):
        mine = client_for(staff_user).get("/api/v1/merchant/coupons/")
    assert mine.status_code == 200 and mine.json()["count"] == n


def test_offer_api_propose_approve_return_and_statement(staff_user, merchant, dispatcher, resident):
    from tests.conftest import client_for

    now = timezone.now()
    body = {
        "merchant": merchant.pk,
        "title": "接口券",
        "cost": 30,
        "stock_total": 4,
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=3)).isoformat(),
        "audience": "min_hours",
    }
    refused = client_for(staff_user).post("/api/v1/merchant/coupons/", body, format="json")
    assert refused.status_code == 400 and "audience_min_hours" in refused.json()["errors"]
    created = client_for(staff_user).post(
        "/api/v1/merchant/coupons/", {**body, "audience_min_hours": 10}, format="json"
    )
    assert created.status_code == 201 and created.json()["review"] == "proposed"
    pk = created.json()["id"]
    assert client_for(resident).get(f"/api/v1/coupons/{pk}/").status_code == 404  # not on sale yet
    returned = client_for(dispatcher).post(f"/api/v1/coupon-proposals/{pk}/return/", {}, format="json")
    assert returned.status_code == 400
    returned = client_for(dispatcher).post(f"/api/v1/coupon-proposals/{pk}/return/", {"reason": "门槛太高"})
    assert returned.status_code == 200 and returned.json()["review_reason"] == "门槛太高"
    again = client_for(dispatcher).post(f"/api/v1/coupon-proposals/{pk}/approve/")
    assert again.status_code == 409
    changed = client_for(staff_user).patch(f"/api/v1/merchant/coupons/{pk}/", {"audience_min_hours": 5}, format="json")
    assert changed.status_code == 200 and changed.json()["review"] == "proposed"
    approved = client_for(dispatcher).post(f"/api/v1/coupon-proposals/{pk}/approve/")
    assert approved.status_code == 200 and approved.json()["review"] == "approved"
    assert client_for(resident).get(f"/api/v1/coupons/{pk}/").status_code == 200
    statement = client_for(staff_user).get(f"/api/v1/merchants/{merchant.pk}/statement/", {"month": "2026-02"})
    assert statement.status_code == 200 and statement.json()["codes"] == 0 and statement.json()["month"] == "2026-02"
    bad = client_for(staff_user).get(f"/api/v1/merchants/{merchant.pk}/statement/", {"month": "february"})
    assert bad.status_code == 400 and "month" in bad.json()["errors"]
