"""Merchants run their own offers: their staff propose coupons, a dispatcher approves or returns
them with a reason, and a returned (or still waiting) proposal may be changed and proposed again.

A proposal is an ordinary Coupon in review state `proposed` (rewards.models.CouponReview): the
shop, the API and redemption only ever sell `approved` ones, so nothing a merchant types reaches
residents before a dispatcher has read it. The image goes through the kernel's media pipeline
like any coupon image (rewards.catalog). Decisions lock the coupon (rewards.lock_objects) and
tell the proposing staff member through their live topic.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound
from govern.live import publish, user_topic
from govern.models import User
from rewards.catalog import coupon_create, coupon_update
from rewards.clean import clean_reason
from rewards.lock_objects import coupon_for_update
from rewards.models import Coupon, CouponReview
from rewards.payloads import coupon_review_payload
from rewards.policy import check_dispatcher, check_merchant_staff

# What a merchant's staff may set on their own offer (never `active`, the review or the merchant).
PROPOSAL_TERMS = (
    "title",
    "description",
    "kind",
    "cost",
    "stock_total",
    "per_user_limit",
    "valid_from",
    "valid_until",
    "code_valid_for",
    "audience",
    "audience_team_ids",
    "audience_community_id",
    "audience_min_hours",
)


def _check_terms(terms: dict) -> None:
    unknown = set(terms) - set(PROPOSAL_TERMS)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(_("Unknown field %(field)s.") % {"field": name}, field=name)
    stock = terms.get("stock_total")
    if "stock_total" in terms and (stock is None or int(stock) < 1):
        raise InvalidInput(_("Offer at least one coupon."), field="stock_total")
    until = terms.get("valid_until")
    if until is not None and until <= timezone.now():
        raise InvalidInput(_("The offer must end in the future."), field="valid_until")


def coupon_propose(*, actor: User, merchant_id: int, image=None, **terms) -> Coupon:
    """A merchant's staff member proposes an offer of their merchant; it waits for a dispatcher."""
    check_merchant_staff(actor, merchant_id)
    for required in ("title", "cost", "stock_total", "valid_from", "valid_until"):
        if terms.get(required) in (None, ""):
            raise InvalidInput(_("This field is required."), field=required)
    _check_terms(terms)
    team_ids = terms.pop("audience_team_ids", ())
    return coupon_create(
        merchant_id=merchant_id,
        image=image,
        audience_team_ids=team_ids,
        review=CouponReview.PROPOSED,
        proposed_by_id=actor.pk,
        **terms,
    )


def coupon_proposal_revise(*, actor: User, coupon_id: int, image=None, **terms) -> Coupon:
    """Change a proposal that is waiting or was returned; it goes back to the dispatchers. An
    approved offer is not the merchant's to change any more (409): the administrator edits it."""
    coupon = Coupon.objects.filter(pk=coupon_id).values("merchant_id").first()
    if coupon is None:
        raise NotFound(_("No such coupon."))
    check_merchant_staff(actor, coupon["merchant_id"])
    _check_terms(terms)
    stock_total = terms.pop("stock_total", None)
    team_ids = terms.pop("audience_team_ids", None)

    def still_a_proposal(locked: Coupon) -> None:
        if locked.review == CouponReview.APPROVED:
            raise Conflict(_("This offer is already approved; ask a dispatcher to change it."), code="approved")
        locked.review = CouponReview.PROPOSED
        locked.review_reason = ""
        locked.proposed_by = actor

    return coupon_update(
        coupon_id=coupon_id,
        stock_total=stock_total,
        image=image,
        audience_team_ids=team_ids,
        under_lock=still_a_proposal,
        **terms,
    )


@transaction.atomic
def coupon_review(*, actor: User, coupon_id: int, approve: bool, reason: str = "") -> Coupon:
    """A dispatcher approves a proposal (it goes on sale in its window) or returns it with a
    reason the merchant reads. Only a waiting proposal can be decided (409 otherwise)."""
    check_dispatcher(actor)
    if not approve:
        reason = clean_reason(reason)
    try:
        coupon = coupon_for_update(coupon_id)
    except Coupon.DoesNotExist:
        raise NotFound(_("No such coupon."))
    if coupon.review != CouponReview.PROPOSED:
        raise Conflict(_("This offer is not waiting for a decision."), code="not_proposed")
    coupon.review = CouponReview.APPROVED if approve else CouponReview.RETURNED
    coupon.review_reason = "" if approve else reason
    coupon.reviewed_by = actor
    coupon.reviewed_at = timezone.now()
    coupon.save(update_fields=["review", "review_reason", "reviewed_by", "reviewed_at"])
    if coupon.proposed_by_id:
        publish([user_topic(coupon.proposed_by_id)], "coupon.reviewed", coupon_review_payload(coupon))
    return coupon
