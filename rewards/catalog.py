"""The catalogue: merchants' staff and their coupons (terms, stock, image).

A coupon's image goes through the kernel's media pipeline (govern.media) with the coupon limits
(rewards.conf.coupon_image_limits): checked and re-encoded before any transaction, written by a
PhotoWriter that deletes it again if the transaction fails; a replaced image is deleted once the
change commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from govern.media.checks import display_name
from govern.media.renditions import ProcessedPhoto, process_upload
from govern.media.writer import PhotoWriter, delete_files
from govern.models import User
from govern.roles import MERCHANT_STAFF
from rewards import conf
from rewards.clean import COUPON_FIELDS, check_coupon_fields, check_window
from rewards.lock_objects import coupon_for_update
from rewards.models import Coupon, CouponKind, Merchant


@transaction.atomic
def merchant_staff_grant_role(*, merchant_id: int) -> int:
    """Give every staff member of a merchant the merchant-staff role (it shows them the check
    page). Membership of Merchant.staff is what authorises a check; the role is navigation."""
    group = Group.objects.filter(name=MERCHANT_STAFF).first()
    if group is None:
        return 0
    missing = list(User.objects.filter(merchants__pk=merchant_id).exclude(groups=group).values_list("pk", flat=True))
    group.user_set.add(*missing)
    return len(missing)


def _coupon_image(upload) -> ProcessedPhoto:
    """An uploaded coupon image checked and re-encoded (no metadata, JPEG, bounded), or a 400
    naming `image`. CPU-heavy: before any transaction."""
    label = _("image (%(name)s)") % {"name": display_name(upload)}
    return process_upload(upload, limits=conf.coupon_image_limits(), field="image", label=label)


def coupon_create(
    *,
    merchant_id: int,
    title: str,
    cost: int,
    stock_total: int,
    valid_from: datetime,
    valid_until: datetime,
    description: str = "",
    kind: str = CouponKind.DISCOUNT,
    per_user_limit: int = 1,
    code_valid_for: timedelta = timedelta(days=7),
    active: bool = True,
    image=None,
) -> Coupon:
    fields = {
        "title": title,
        "description": description,
        "kind": kind,
        "cost": cost,
        "per_user_limit": per_user_limit,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "code_valid_for": code_valid_for,
        "active": active,
    }
    check_coupon_fields(fields)
    check_window(valid_from, valid_until)
    if stock_total is None or int(stock_total) < 0:
        raise InvalidInput(_("The stock cannot be negative."), field="stock_total")
    if not Merchant.objects.filter(pk=merchant_id).exists():
        raise NotFound(_("No such merchant."), field="merchant")
    processed = _coupon_image(image) if image else None
    with PhotoWriter("coupons") as writer, transaction.atomic():
        coupon = Coupon(merchant_id=merchant_id, stock_total=stock_total, stock_remaining=stock_total, **fields)
        if processed is not None:
            coupon.image = writer.write(processed)["large"]
        coupon.save()
    return coupon


def coupon_update(
    *, coupon_id: int, stock_total: int | None = None, image=None, remove_image: bool = False, **changes
) -> Coupon:
    """Change an offer. A new total stock moves the remaining stock by the same amount, so the
    codes already issued or used stay counted; it cannot drop below them."""
    unknown = set(changes) - set(COUPON_FIELDS) - {"merchant_id"}
    if unknown:
        raise InvalidInput(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]}, field=sorted(unknown)[0])
    check_coupon_fields(changes)
    if not Coupon.objects.filter(pk=coupon_id).exists():
        raise NotFound(_("No such coupon."))
    processed = _coupon_image(image) if image else None
    with PhotoWriter("coupons") as writer, transaction.atomic():
        try:
            coupon = coupon_for_update(coupon_id)
        except Coupon.DoesNotExist:
            raise NotFound(_("No such coupon."))
        for name, value in changes.items():
            setattr(coupon, name, value)
        check_window(coupon.valid_from, coupon.valid_until)
        if stock_total is not None:
            holding = coupon.stock_total - coupon.stock_remaining
            if int(stock_total) < holding:
                raise InvalidInput(
                    _("The total stock cannot be below the %(n)d codes already issued or used.") % {"n": holding},
                    field="stock_total",
                )
            coupon.stock_total = int(stock_total)
            coupon.stock_remaining = int(stock_total) - holding
        replaced = coupon.image.name if (processed is not None or remove_image) and coupon.image else ""
        if processed is not None:
            coupon.image = writer.write(processed)["large"]
        elif remove_image:
            coupon.image = ""
        coupon.save()
        if replaced:
            transaction.on_commit(lambda: delete_files([replaced]))  # once no row names it
    return coupon
