"""Redemptions: buying a coupon with points, using the code at the shop, giving it back, expiry.

Invariants (each also a database constraint where a constraint can say it): a redemption debits
once and refunds at most once (unique idempotency keys on entries), and a coupon issues at most
`stock_total` live codes.

Locks are taken in one order (rewards.lock_objects): accounts (lowest pk first) → coupon →
redemption. Live events are written in the same transaction and delivered on commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from govern.live import publish, publish_many, user_topic
from govern.models import User
from govern.pipeline import pipelined, update_later
from rewards import conf
from rewards.audience import audience_refusal, member_of
from rewards.clean import IDEMPOTENCY_HEADER, clean_idempotency_key
from rewards.codes import looks_like_code, new_code, normalise_code
from rewards.ledger import post_entry
from rewards.lock_objects import account_for_update, coupon_for_update, redemption_for_update
from rewards.models import HOLDING_STATUSES, Coupon, EntryKind, Redemption, RedemptionStatus
from rewards.payloads import redemption_payload
from rewards.policy import may_cancel_redemption, staff_merchant_ids

REDEMPTION_SOURCE = "rewards.redemption"


def _publish_redemption(redemption: Redemption) -> None:
    publish([user_topic(redemption.user_id)], "redemption.updated", redemption_payload(redemption))


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


@dataclass(frozen=True)
class RedeemResult:
    redemption: Redemption
    created: bool


def redemption_create(*, user_id: int, coupon_id: int, idempotency_key: str) -> RedeemResult:
    """Buy a coupon with points: one code, one debit, one unit of stock, or nothing at all.

    Same key again → the same redemption (`created` False); the same key for another coupon →
    422. Refusals (nothing is recorded): outside the window / inactive 422, not in the coupon's
    audience 422 `not_eligible` (rewards.audience), per-user limit 422
    (issued and used codes count; expired and cancelled ones were refunded and do not),
    not enough points 422, out of stock 409.

    Built for a rush on one coupon (hundreds of clients for a small stock): the coupon row is the
    one everybody contends for, so it is not locked to read it. The user's account is locked
    first (it serialises that user's redemptions: key replay, per-user limit, balance); the
    coupon is read plainly, so an empty stock answers 409 without waiting for anyone; the code
    and the debit are written; and only then is one unit taken, with a conditional
    `UPDATE … SET stock_remaining = stock_remaining - 1 WHERE stock_remaining > 0` (and the
    terms read earlier unchanged). The coupon's row lock is held from that statement to the
    commit, a few statements instead of the whole transaction. If no row matched, the stock ran
    out meanwhile (409) or the coupon was edited meanwhile (the whole attempt is redone against
    the new terms); either way the transaction rolls back and nothing is recorded.
    """
    key = clean_idempotency_key(idempotency_key)
    changing = False
    for _attempt in range(5):
        code = new_code()
        try:
            return _redeem_once(user_id=user_id, coupon_id=int(coupon_id), key=key, code=code)
        except _CouponChanged:
            changing = True
            continue
        except IntegrityError:
            # Rolled back. A clash of the random code (the only unique value not guarded by the
            # account lock) is retried with a new one; anything else is a real error.
            if not Redemption.objects.filter(code=code).exists():
                raise
            changing = False
    if changing:
        raise Conflict(_("This coupon's terms are being changed right now; please try again."), code="coupon_changing")
    raise Conflict(_("Could not issue a unique code; please try again."))


class _CouponChanged(Exception):
    """The coupon's terms changed between the read and the stock update: redo the attempt."""


def _redeem_once(*, user_id: int, coupon_id: int, key: str, code: str) -> RedeemResult:
    with transaction.atomic():
        account = account_for_update(user_id)
        # A replay is rare: look for the key cheaply, load the redemption only when there is one.
        existing = (
            Redemption.objects.filter(user_id=user_id, idempotency_key=key).values_list("pk", "coupon_id").first()
        )
        if existing is not None:
            if existing[1] != coupon_id:
                raise Unprocessable(
                    _("This Idempotency-Key was already used to redeem a different coupon."),
                    code="idempotency_key_reused",
                    field=IDEMPOTENCY_HEADER,
                )
            return RedeemResult(Redemption.objects.select_related("coupon__merchant").get(pk=existing[0]), False)
        # No row lock: see the docstring. The count is current, as this user's account is locked.
        held = Redemption.objects.filter(user_id=user_id, coupon_id=OuterRef("pk"), status__in=HOLDING_STATUSES)
        coupon = (
            Coupon.objects.select_related("merchant", "audience_community")
            .annotate(held=Subquery(held.values("coupon_id").annotate(n=Count("pk")).values("n")[:1]))
            .filter(pk=coupon_id)
            .first()
        )
        if coupon is None:
            raise NotFound(_("No such coupon."))
        merchant = coupon.merchant
        now = timezone.now()
        if not coupon.active or not merchant.active:
            raise Unprocessable(_("This coupon is not offered any more."), code="inactive")
        if now < coupon.valid_from:
            raise Unprocessable(
                _("This coupon can be redeemed from %(time)s.") % {"time": _when(coupon.valid_from)},
                code="outside_window",
            )
        if now >= coupon.valid_until:
            raise Unprocessable(
                _("This coupon could be redeemed until %(time)s.") % {"time": _when(coupon.valid_until)},
                code="outside_window",
            )
        refusal = audience_refusal(coupon, member_of(user_id))
        if refusal is not None:
            raise Unprocessable(refusal, code="not_eligible")
        if (coupon.held or 0) >= coupon.per_user_limit:
            raise Unprocessable(
                _("Limit reached: you can redeem this coupon %(n)d time(s).") % {"n": coupon.per_user_limit},
                code="limit_reached",
            )
        if account.balance < coupon.cost:
            raise Unprocessable(
                _("Not enough points: this coupon costs %(cost)d and your balance is %(balance)d.")
                % {"cost": coupon.cost, "balance": account.balance},
                code="insufficient_points",
            )
        if coupon.stock_remaining <= 0:
            raise _out_of_stock()

        redemption = Redemption.objects.create(
            user_id=user_id,
            coupon=coupon,
            code=code,
            cost=coupon.cost,
            idempotency_key=key,
            created_at=now,
            expires_at=now + coupon.code_valid_for,
        )
        events: list = []
        post_entry(
            account=account,
            amount=-coupon.cost,
            kind=EntryKind.REDEEM,
            reason=coupon.title,
            idempotency_key=f"redemption:{redemption.pk}:debit",
            source_type=REDEMPTION_SOURCE,
            source_id=str(redemption.pk),
            events=events,
        )
        coupon.stock_remaining -= 1  # as it will be if the unit is taken (else all rolls back)
        redemption.coupon = coupon
        events.append(([user_topic(user_id)], "redemption.updated", redemption_payload(redemption)))
        # The one contended statement, and the events, in one round trip: from the moment the
        # UPDATE has the coupon's row lock, the only wait for this thread is the one before its
        # COMMIT (it was four: the UPDATE's answer, the publish lock, the insert, the commit). The UPDATE goes first, so the publish lock is never held
        # while queueing for the coupon. The terms checked above must still hold (a concurrent
        # coupon_update waits here or is waited for, and the WHERE is re-checked on its result).
        with pipelined():
            taken = update_later(
                Coupon.objects.filter(
                    pk=coupon.pk,
                    stock_remaining__gt=0,
                    active=True,
                    cost=coupon.cost,
                    per_user_limit=coupon.per_user_limit,
                    valid_from__lte=now,
                    valid_until__gt=now,
                    code_valid_for=coupon.code_valid_for,
                    audience=coupon.audience,
                    audience_community_id=coupon.audience_community_id,
                    audience_min_hours=coupon.audience_min_hours,
                ),
                stock_remaining=F("stock_remaining") - 1,
            )
            publish_many(events)  # last: the publish lock is held until the commit
        if not taken():
            # Rolled back by the raise, events included.
            if Coupon.objects.filter(pk=coupon.pk, stock_remaining__lte=0).exists():
                raise _out_of_stock()
            raise _CouponChanged
        return RedeemResult(redemption, True)


def _out_of_stock() -> Conflict:
    return Conflict(_("Out of stock: every code of this coupon has been redeemed."), code="out_of_stock")


def redemption_use(*, code: str, actor: User) -> Redemption:
    """A merchant's staff accept a presented code: issued → used, exactly once (row lock).

    A code of another merchant is reported exactly like an unknown code (404), so staff cannot
    probe other shops' codes. Expired codes are refused even before the expiry job runs.
    """
    normalised = normalise_code(code)
    if not normalised:
        raise InvalidInput(_("Enter the code shown on the customer's phone."), field="code")
    merchant_ids = staff_merchant_ids(actor)
    if not merchant_ids:
        raise PermissionDenied(_("Only a merchant's staff can check codes."))
    not_found = NotFound(_("No coupon with this code at your shop."), field="code")
    if not looks_like_code(normalised):
        raise not_found
    with transaction.atomic():
        try:
            redemption = redemption_for_update(code=normalised)
        except Redemption.DoesNotExist:
            raise not_found
        if redemption.coupon.merchant_id not in merchant_ids:
            raise not_found
        now = timezone.now()
        if redemption.status == RedemptionStatus.USED:
            raise Conflict(
                _("This code was already used at %(time)s.") % {"time": _when(redemption.used_at)}, code="already_used"
            )
        if redemption.status == RedemptionStatus.CANCELLED:
            raise Conflict(_("This code was cancelled and its points refunded."), code="cancelled")
        if redemption.status == RedemptionStatus.EXPIRED or redemption.expires_at <= now:
            raise Conflict(_("This code expired at %(time)s.") % {"time": _when(redemption.expires_at)}, code="expired")
        redemption.status = RedemptionStatus.USED
        redemption.used_at = now
        redemption.used_by_id = actor.pk
        redemption.save(update_fields=["status", "used_at", "used_by"])
        _publish_redemption(redemption)
        return redemption


def _end_redemption(*, redemption_id: int, status: str, actor: User | None, now: datetime) -> Redemption:
    """issued → expired|cancelled with a refund of points and stock. Runs inside the caller's
    atomic block; the status check under the lock plus the refund entry's unique key make the
    refund happen once however often this is called."""
    refs = Redemption.objects.filter(pk=redemption_id).values("user_id", "coupon_id").first()
    if refs is None:
        raise NotFound(_("No such redemption."))
    account = account_for_update(refs["user_id"])
    coupon_for_update(refs["coupon_id"])
    redemption = redemption_for_update(redemption_id=redemption_id)
    if redemption.status != RedemptionStatus.ISSUED:
        raise Conflict(_redemption_state_sentence(redemption), code=f"already_{redemption.status}")
    if status == RedemptionStatus.EXPIRED and redemption.expires_at > now:
        raise Conflict(_("This code has not expired yet."), code="not_expired")
    redemption.status = status
    redemption.ended_at = now
    if status == RedemptionStatus.CANCELLED:
        redemption.cancelled_by_id = actor.pk if actor is not None else None
    redemption.save(update_fields=["status", "ended_at", "cancelled_by"])
    Coupon.objects.filter(pk=redemption.coupon_id).update(stock_remaining=F("stock_remaining") + 1)
    post_entry(
        account=account,
        amount=redemption.cost,
        kind=EntryKind.REFUND,
        reason=redemption.coupon.title,
        idempotency_key=f"redemption:{redemption.pk}:refund",
        source_type=REDEMPTION_SOURCE,
        source_id=str(redemption.pk),
        actor=actor,
    )
    _publish_redemption(redemption)
    return redemption


def _redemption_state_sentence(redemption: Redemption) -> str:
    if redemption.status == RedemptionStatus.USED:
        return _("This code was already used at %(time)s.") % {"time": _when(redemption.used_at)}
    if redemption.status == RedemptionStatus.EXPIRED:
        return _("This code already expired and its points were refunded.")
    return _("This code was already cancelled and its points refunded.")


@transaction.atomic
def redemption_cancel(*, redemption_id: int, actor: User) -> Redemption:
    """The owner (or a dispatcher) gives back an unused code: points and stock are refunded once."""
    refs = Redemption.objects.filter(pk=redemption_id).values("user_id").first()
    if refs is None or not may_cancel_redemption(actor, owner_id=refs["user_id"]):
        raise NotFound(_("No such redemption."))
    return _end_redemption(
        redemption_id=redemption_id, status=RedemptionStatus.CANCELLED, actor=actor, now=timezone.now()
    )


def redemption_expire(*, redemption_id: int, now: datetime | None = None) -> Redemption | None:
    """Expire one overdue issued code with its refund; None when there is nothing to do (it was
    used, cancelled or expired meanwhile, or is not overdue)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _end_redemption(redemption_id=redemption_id, status=RedemptionStatus.EXPIRED, actor=None, now=now)
    except (Conflict, NotFound):
        return None


def _not_overdue(redemption_id: int, now: datetime) -> bool:
    return not Redemption.objects.filter(pk=redemption_id, status=RedemptionStatus.ISSUED, expires_at__lte=now).exists()


def redemptions_expire_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Expire every overdue issued code (oldest first, up to `limit`), one transaction each so a
    long run holds no lock for long. Returns how many were expired."""
    now = now or timezone.now()
    ids = list(
        Redemption.objects.filter(status=RedemptionStatus.ISSUED, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", flat=True)[: limit or conf.expiry_batch()]
    )
    done = 0
    for redemption_id in ids:
        if _not_overdue(redemption_id, now):
            continue
        if redemption_expire(redemption_id=redemption_id, now=now) is not None:
            done += 1
    return done


def redemptions_warn_expiring(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Beat job: tell each owner of an issued code that expires within `conf.expiry_warning()`,
    once per code (`redemption.expiring`). A guarded update claims the code in the same
    transaction as the event, so two runs at once (or a redelivered message) warn once."""
    now = now or timezone.now()
    window = conf.expiry_warning()
    if not window:
        return 0
    due = Redemption.objects.filter(
        status=RedemptionStatus.ISSUED, expiry_warned_at__isnull=True, expires_at__gt=now, expires_at__lte=now + window
    )
    ids = list(due.order_by("expires_at", "id").values_list("id", flat=True)[: limit or conf.expiry_batch()])
    warned = 0
    for redemption_id in ids:
        with transaction.atomic():
            if not due.filter(pk=redemption_id).update(expiry_warned_at=now):
                continue  # used, cancelled, expired or warned meanwhile
            redemption = Redemption.objects.select_related("coupon").get(pk=redemption_id)
            publish([user_topic(redemption.user_id)], "redemption.expiring", redemption_payload(redemption))
            warned += 1
    return warned
