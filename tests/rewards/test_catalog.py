"""Catalogue tests: coupons' terms, stock and image, and the demo catalogue."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from govern.errors import InvalidInput, NotFound
from rewards import catalog, redemptions
from tests.rewards.conftest import (
    assert_ledger_consistent,
    balance_of,
    fund,
    make_coupon,
)

pytestmark = pytest.mark.django_db


# --- catalog -----------------------------------------------------------------------------------------


def test_coupon_create_validates(merchant):
    now = timezone.now()
    base = {
        "merchant_id": merchant.pk,
        "title": "t",
        "cost": 10,
        "stock_total": 1,
        "valid_from": now,
        "valid_until": now + timedelta(days=1),
    }
    assert catalog.coupon_create(**base).stock_remaining == 1
    for change, field in [
        ({"cost": 0}, "cost"),
        ({"title": " "}, "title"),
        ({"valid_until": now}, "valid_until"),
        ({"stock_total": -1}, "stock_total"),
        ({"kind": "cash"}, "kind"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"code_valid_for": timedelta(0)}, "code_valid_for"),
    ]:
        with pytest.raises(InvalidInput) as info:
            catalog.coupon_create(**{**base, **change})
        assert info.value.field == field
    with pytest.raises(NotFound):
        catalog.coupon_create(**{**base, "merchant_id": 999_999})


def test_coupon_update_moves_remaining_with_total(resident, coupon):
    fund(resident, 500)
    redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a")
    updated = catalog.coupon_update(coupon_id=coupon.pk, stock_total=20, title="new title")
    assert (updated.stock_total, updated.stock_remaining, updated.title) == (20, 19, "new title")
    assert catalog.coupon_update(coupon_id=coupon.pk, stock_total=1).stock_remaining == 0
    with pytest.raises(InvalidInput) as info:
        catalog.coupon_update(coupon_id=coupon.pk, stock_total=0)
    assert info.value.field == "stock_total"
    with pytest.raises(InvalidInput):
        catalog.coupon_update(coupon_id=coupon.pk, bogus=1)


def _png(size=(1600, 900), mode="RGBA") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile("c.png", out.getvalue(), content_type="image/png")


def test_coupon_image_is_reencoded_and_bounded(merchant):
    coupon = make_coupon(merchant, image=_png())
    assert coupon.image.name.endswith(".jpg")
    with Image.open(coupon.image.path) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 1200
    with pytest.raises(InvalidInput) as info:
        make_coupon(merchant, image=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png"))
    assert info.value.field == "image"


def test_demo_seed_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    from govern.models import User
    from rewards.models import Merchant

    for name in ("vol1", "vol2", "vol3", "vol4", "vol5"):
        assert balance_of(User.objects.get(username=name)) == 500
    assert balance_of(User.objects.get(username="resident1")) > 0
    kitchen = Merchant.objects.get(name="汾湖小厨")
    assert list(kitchen.staff.values_list("username", flat=True)) == ["merchant1"]
    assert kitchen.coupons.filter(stock_total__lte=5).exists()
    assert Merchant.objects.count() == 2
    assert_ledger_consistent()
