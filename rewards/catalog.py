"""The catalogue: merchants' staff and their coupons (terms, stock, image).

A coupon's image goes through the kernel's media pipeline (govern.media) with the coupon limits
(rewards.conf.coupon_image_limits): checked and re-encoded before any transaction, written by a
PhotoWriter that deletes it again if the transaction fails; a replaced image is deleted once the
change commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from govern.media.checks import display_name
from govern.media.renditions import ProcessedPhoto, process_upload
from govern.media.writer import PhotoWriter, delete_files
from govern.models import Community, User
from govern.roles import MERCHANT_STAFF
from rewards import conf
from rewards.clean import COUPON_FIELDS, check_audience, check_coupon_fields, check_window
from rewards.lock_objects import coupon_for_update
from rewards.models import Audience, Coupon, CouponKind, CouponReview, Merchant


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
    audience: str = Audience.EVERYONE,
    audience_team_ids: Iterable[int] = (),
    audience_community_id: int | None = None,
    audience_min_hours: int | None = None,
    review: str = CouponReview.APPROVED,
    proposed_by_id: int | None = None,
) -> Coupon:
    """A new offer. From the admin it is approved at once; a merchant's proposal
    (rewards.proposals) comes in as `proposed` and is not sold until a dispatcher approves it."""
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
        "audience": audience,
        "audience_community_id": audience_community_id if audience == Audience.COMMUNITY else None,
        "audience_min_hours": audience_min_hours if audience == Audience.MIN_HOURS else None,
        "review": review,
        "proposed_by_id": proposed_by_id,
    }
    check_coupon_fields(fields)
    check_window(valid_from, valid_until)
    team_ids = _audience_teams(audience, audience_team_ids, audience_community_id, audience_min_hours)
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
        coupon.audience_teams.set(team_ids)
    return coupon


def _audience_teams(audience, team_ids, community_id, min_hours) -> list[int]:
    """Check an audience and return the team ids it keeps (none unless the audience is teams)."""
    ids = sorted({int(t) for t in team_ids or ()}) if audience == Audience.TEAMS else []
    check_audience(audience=audience, community_id=community_id, min_hours=min_hours, team_ids=ids)
    # The team model by the relation, not by import (rewards and volunteers never import each other).
    teams = Coupon._meta.get_field("audience_teams").related_model
    if ids and teams.objects.filter(pk__in=ids).count() != len(ids):
        raise NotFound(_("No such team."), field="audience_teams")
    if audience == Audience.COMMUNITY and not Community.objects.filter(pk=community_id).exists():
        raise NotFound(_("No such community."), field="audience_community")
    return ids


def coupon_update(
    *,
    coupon_id: int,
    stock_total: int | None = None,
    image=None,
    remove_image: bool = False,
    audience_team_ids: Iterable[int] | None = None,
    under_lock: Callable[[Coupon], None] | None = None,
    **changes,
) -> Coupon:
    """Change an offer. A new total stock moves the remaining stock by the same amount, so the
    codes already issued or used stay counted; it cannot drop below them. The audience is checked
    as a whole after the changes (teams: `audience_team_ids`, else the coupon's current teams).
    `under_lock` sees the locked coupon before the changes (a caller's checks of its state)."""
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
        if under_lock is not None:
            under_lock(coupon)
        for name, value in changes.items():
            setattr(coupon, name, value)
        check_window(coupon.valid_from, coupon.valid_until)
        if audience_team_ids is None:
            audience_team_ids = list(coupon.audience_teams.values_list("pk", flat=True))
        if coupon.audience != Audience.COMMUNITY:
            coupon.audience_community_id = None
        if coupon.audience != Audience.MIN_HOURS:
            coupon.audience_min_hours = None
        team_ids = _audience_teams(
            coupon.audience, audience_team_ids, coupon.audience_community_id, coupon.audience_min_hours
        )
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
        coupon.audience_teams.set(team_ids)
        if replaced:
            transaction.on_commit(lambda: delete_files([replaced]))  # once no row names it
    return coupon
