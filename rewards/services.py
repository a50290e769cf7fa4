"""Every write of the rewards app.

Invariants (each also a database constraint where a constraint can say it):
- an account's balance is never negative and always equals the sum of its entries;
- entries are append-only; a correction is a `reversal` entry;
- an award pays at most once per (rule, source, user); a redemption debits once, refunds at most
  once (unique idempotency keys on entries), and issues at most `stock_total` live codes.

Locks are taken in one order (rewards.lock_objects): accounts (lowest pk first) → coupon →
redemption. Live events are written in the same transaction and delivered on commit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from govern.live import publish, publish_many, user_topic
from govern.media.checks import display_name
from govern.media.renditions import ProcessedPhoto, process_upload
from govern.media.writer import PhotoWriter, delete_files
from govern.models import User
from govern.pipeline import pipelined, update_later
from govern.roles import is_dispatcher
from rewards import conf
from rewards.codes import looks_like_code, new_code, normalise_code
from rewards.lock_objects import account_for_update, accounts_for_update, coupon_for_update, redemption_for_update
from rewards.models import (
    HOLDING_STATUSES,
    Coupon,
    CouponKind,
    EarningRule,
    EntryKind,
    Merchant,
    PointsAccount,
    PointsAward,
    PointsEntry,
    Redemption,
    RedemptionStatus,
)

logger = logging.getLogger(__name__)

REDEMPTION_SOURCE = "rewards.redemption"
ADJUSTMENT_SOURCE = "rewards.adjustment"
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")
IDEMPOTENCY_HEADER = "Idempotency-Key"


# --- events ---------------------------------------------------------------------------------


def _entry_payload(entry: PointsEntry) -> dict:
    return {
        "entry_id": entry.pk,
        "amount": entry.amount,
        "kind": entry.kind,
        "reason": entry.reason,
        "balance": entry.balance_after,
        "balance_after": entry.balance_after,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "created_at": entry.created_at.isoformat(),
    }


def redemption_payload(redemption: Redemption) -> dict:
    return {
        "id": redemption.pk,
        "code": redemption.code,
        "status": redemption.status,
        "coupon_id": redemption.coupon_id,
        "coupon_title": redemption.coupon.title,
        "expires_at": redemption.expires_at.isoformat(),
        "used_at": redemption.used_at.isoformat() if redemption.used_at else None,
        "ended_at": redemption.ended_at.isoformat() if redemption.ended_at else None,
    }


def _publish_redemption(redemption: Redemption) -> None:
    publish([user_topic(redemption.user_id)], "redemption.updated", redemption_payload(redemption))


# --- the ledger -----------------------------------------------------------------------------


def _post_entry(
    *,
    account: PointsAccount,
    amount: int,
    kind: str,
    reason: str,
    idempotency_key: str,
    source_type: str = "",
    source_id: str = "",
    rule: EarningRule | None = None,
    actor_id: int | None = None,
    reverses: PointsEntry | None = None,
    events: list | None = None,
) -> PointsEntry:
    """Append one entry to a LOCKED account and move its balance by the same amount.

    The caller holds the account's row lock, so `account.balance` is current; the F() update and
    the balance constraint are the second line of defence if a caller ever forgets the lock.
    The points.changed event is published now, or appended to `events` for the caller to
    publish together with its own (govern.live.publish_many).
    """
    new_balance = account.balance + amount
    if new_balance < 0:
        raise Unprocessable(
            _("Not enough points: this needs %(need)d and the balance is %(balance)d.")
            % {"need": -amount, "balance": account.balance},
            code="insufficient_points",
        )
    now = timezone.now()
    PointsAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount, updated_at=now)
    account.balance = new_balance
    entry = PointsEntry.objects.create(
        account=account,
        amount=amount,
        kind=kind,
        reason=reason[:200],
        source_type=source_type,
        source_id=source_id,
        rule=rule,
        actor_id=actor_id,
        reverses=reverses,
        balance_after=new_balance,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    event = ([user_topic(account.user_id)], "points.changed", _entry_payload(entry))
    if events is None:
        publish(*event)
    else:
        events.append(event)
    return entry


def _local_day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _earned_since(account: PointsAccount, since: datetime) -> int:
    total = PointsEntry.objects.filter(account=account, kind=EntryKind.EARN, created_at__gte=since).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def _severity_factor(rule: EarningRule, severity: str | None) -> Decimal:
    factors = rule.severity_factors or {}
    if not severity or not factors:
        return Decimal(1)
    if severity not in factors:
        raise InvalidInput(
            _("Unknown severity %(severity)s for rule %(rule)s.") % {"severity": severity, "rule": rule.code},
            field="severity",
        )
    try:
        factor = Decimal(str(factors[severity]))
    except InvalidOperation:
        raise InvalidInput(_("Rule %(rule)s has a bad severity factor.") % {"rule": rule.code}, field="severity")
    if factor <= 0:
        raise InvalidInput(_("Rule %(rule)s has a bad severity factor.") % {"rule": rule.code}, field="severity")
    return factor


def award_idempotency_key(*, rule_code: str, source_type: str, source_id: str, user_id: int) -> str:
    return f"award:{rule_code}:{source_type}:{source_id}:{user_id}"


def points_award(
    *,
    user_id: int,
    rule_code: str,
    source_type: str,
    source_id: str | int,
    actor_id: int | None = None,
    severity: str | None = None,
) -> PointsAward | None:
    """Pay `user_id` for verified help under an earning rule. Idempotent; safe to retry.

    - Once per (rule, source, user): a second call (a retry, a second verification, a concurrent
      duplicate) returns the first PointsAward and pays nothing.
    - Returns None and records nothing when the rule is inactive or when the actor who verified
      is the beneficiary ("no points for verifying your own report or task"); a later award by
      another verifier may still pay.
    - Daily cap (rewards.conf.daily_cap): pays only what is left of today's cap (local day); the
      award is recorded even when nothing was left, so the same source never pays later.
    - Points due = rule.points × the rule's factor for `severity`, rounded half up.
    """
    source_type, source_id = str(source_type or "").strip(), str(source_id or "").strip()
    if not source_type or len(source_type) > 40:
        raise InvalidInput(_("source_type must be 1 to 40 characters."), field="source_type")
    if not source_id or len(source_id) > 64:
        raise InvalidInput(_("source_id must be 1 to 64 characters."), field="source_id")
    if actor_id is not None and int(actor_id) == int(user_id):
        logger.info("points_award refused: user %s verified their own %s %s", user_id, source_type, source_id)
        return None
    rule = EarningRule.objects.filter(code=rule_code).first()
    if rule is None:
        raise NotFound(_("No earning rule %(code)s.") % {"code": rule_code}, field="rule_code")
    if not rule.active:
        logger.info("points_award skipped: rule %s is inactive", rule_code)
        return None
    factor = _severity_factor(rule, severity)
    due = int((Decimal(rule.points) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound(_("No such user."), field="user_id")

    with transaction.atomic():
        account = account_for_update(user_id)
        existing = PointsAward.objects.filter(
            rule=rule, source_type=source_type, source_id=source_id, user_id=user_id
        ).first()
        if existing is not None:
            return existing
        now = timezone.now()
        paid = due
        cap = conf.daily_cap()
        if cap > 0:
            paid = max(0, min(due, cap - _earned_since(account, _local_day_start(now))))
        entry = None
        if paid > 0:
            entry = _post_entry(
                account=account,
                amount=paid,
                kind=EntryKind.EARN,
                reason=rule.name,
                idempotency_key=award_idempotency_key(
                    rule_code=rule.code, source_type=source_type, source_id=source_id, user_id=user_id
                ),
                source_type=source_type,
                source_id=source_id,
                rule=rule,
                actor_id=actor_id,
            )
        return PointsAward.objects.create(
            rule=rule,
            user_id=user_id,
            source_type=source_type,
            source_id=source_id,
            actor_id=actor_id,
            severity=severity or "",
            points_due=due,
            points_paid=paid,
            entry=entry,
            created_at=now,
        )


def _clean_reason(reason: str) -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput(_("A reason is required."), field="reason")
    if len(reason) > 200:
        raise InvalidInput(_("The reason is too long (at most 200 characters)."), field="reason")
    return reason


def _clean_adjust_amount(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(_("amount must be a whole number."), field="amount")
    if amount == 0:
        raise InvalidInput(_("amount must not be zero."), field="amount")
    if abs(amount) > conf.adjust_max():
        raise InvalidInput(
            _("amount must be between -%(max)d and %(max)d.") % {"max": conf.adjust_max()}, field="amount"
        )
    return amount


def _check_adjuster(actor_id: int | None, user_ids: Iterable[int]) -> None:
    """Adjustments are made by a dispatcher (or by the system when actor_id is None), never on
    the dispatcher's own account."""
    if actor_id is None:
        return
    actor = User.objects.filter(pk=actor_id).first()
    if actor is None or not is_dispatcher(actor):
        raise PermissionDenied(_("Only a dispatcher can adjust points."))
    if int(actor_id) in {int(u) for u in user_ids}:
        raise PermissionDenied(_("You cannot adjust your own points."), field="user")


def _adjust_key(actor_id: int | None, idempotency_key: str) -> str:
    return f"adjust:{actor_id or 'system'}:{idempotency_key}"


@dataclass(frozen=True)
class AdjustResult:
    entry: PointsEntry
    created: bool


def points_adjust(
    *, user_id: int, amount: int, reason: str, actor_id: int | None, idempotency_key: str | None = None
) -> AdjustResult:
    """A manual adjustment with a reason, by a dispatcher (actor) or the system (actor None).

    With an idempotency key, a retry returns the first entry (`created` False); the same key for
    a different user or amount is refused (422). A debit that would go below zero is refused.
    """
    amount = _clean_adjust_amount(amount)
    reason = _clean_reason(reason)
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound(_("No such user."), field="user")
    _check_adjuster(actor_id, [user_id])
    if idempotency_key is not None and not IDEMPOTENCY_KEY_PATTERN.match(idempotency_key):
        raise InvalidInput(_("Idempotency-Key must be 1 to 100 letters, digits or _.:-"), field=IDEMPOTENCY_HEADER)
    with transaction.atomic():
        account = account_for_update(user_id)
        if idempotency_key is not None:
            key = _adjust_key(actor_id, idempotency_key)
            existing = PointsEntry.objects.filter(idempotency_key=key).first()
            if existing is not None:
                if existing.account_id != account.pk or existing.amount != amount:
                    raise Unprocessable(
                        _("This Idempotency-Key was already used for a different adjustment."),
                        code="idempotency_key_reused",
                    )
                return AdjustResult(existing, False)
        else:
            key = _adjust_key(actor_id, new_code() + new_code())
        entry = _post_entry(
            account=account,
            amount=amount,
            kind=EntryKind.ADJUST,
            reason=reason,
            idempotency_key=key,
            source_type=ADJUSTMENT_SOURCE,
            actor_id=actor_id,
        )
        return AdjustResult(entry, True)


@transaction.atomic
def points_adjust_bulk(*, user_ids: Iterable[int], amount: int, reason: str, actor_id: int | None) -> list[PointsEntry]:
    """The same adjustment for several users, all or nothing (e.g. 50 points to everyone who
    joined a fire drill). Accounts are locked together in primary-key order."""
    amount = _clean_adjust_amount(amount)
    reason = _clean_reason(reason)
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        raise InvalidInput(_("Choose at least one account."), field="user")
    if User.objects.filter(pk__in=ids).count() != len(ids):
        raise NotFound(_("No such user."), field="user")
    _check_adjuster(actor_id, ids)
    accounts = accounts_for_update(ids)
    batch = new_code()
    return [
        _post_entry(
            account=accounts[uid],
            amount=amount,
            kind=EntryKind.ADJUST,
            reason=reason,
            idempotency_key=_adjust_key(actor_id, f"bulk-{batch}-{uid}"),
            source_type=ADJUSTMENT_SOURCE,
            actor_id=actor_id,
        )
        for uid in sorted(ids, key=lambda uid: accounts[uid].pk)
    ]


REVERSIBLE_KINDS = (EntryKind.EARN, EntryKind.ADJUST)


def points_reverse(*, entry_id: int, reason: str, actor_id: int | None) -> PointsEntry:
    """Undo an earning or adjustment with an opposite entry, exactly once (the reversal's
    idempotency key and the one-to-one `reverses` both say so). Redemption debits and refunds
    are undone by cancelling the redemption instead."""
    reason = _clean_reason(reason)
    original = PointsEntry.objects.filter(pk=entry_id).select_related("account").first()
    if original is None:
        raise NotFound(_("No such points entry."), field="entry")
    if original.kind not in REVERSIBLE_KINDS:
        raise Conflict(_("Only earnings and adjustments can be reversed; cancel the redemption instead."))
    _check_adjuster(actor_id, [original.account.user_id])
    with transaction.atomic():
        account = account_for_update(original.account.user_id)
        if PointsEntry.objects.filter(reverses=original).exists():
            raise Conflict(_("This entry was already reversed."), code="already_reversed")
        return _post_entry(
            account=account,
            amount=-original.amount,
            kind=EntryKind.REVERSAL,
            reason=reason,
            idempotency_key=f"reversal:{original.pk}",
            source_type=original.source_type,
            source_id=original.source_id,
            rule=original.rule,
            actor_id=actor_id,
            reverses=original,
        )


@transaction.atomic
def points_account_set_leaderboard(*, user_id: int, show: bool) -> PointsAccount:
    """Opt in to (or out of) showing one's display name on the community leaderboard."""
    account = account_for_update(user_id)
    account.show_on_leaderboard = bool(show)
    account.save(update_fields=["show_on_leaderboard", "updated_at"])
    return account


# --- catalog --------------------------------------------------------------------------------


@transaction.atomic
def merchant_staff_grant_role(*, merchant_id: int) -> int:
    """Give every staff member of a merchant the merchant-staff role (it shows them the check
    page). Membership of Merchant.staff is what authorises a check; the role is navigation."""
    from django.contrib.auth.models import Group

    from govern.roles import MERCHANT_STAFF

    group = Group.objects.filter(name=MERCHANT_STAFF).first()
    if group is None:
        return 0
    missing = list(User.objects.filter(merchants__pk=merchant_id).exclude(groups=group).values_list("pk", flat=True))
    group.user_set.add(*missing)
    return len(missing)


_COUPON_FIELDS = (
    "title",
    "description",
    "kind",
    "cost",
    "per_user_limit",
    "valid_from",
    "valid_until",
    "code_valid_for",
    "active",
)


def _check_coupon_fields(fields: dict) -> None:
    if "title" in fields and not str(fields["title"] or "").strip():
        raise InvalidInput(_("A title is required."), field="title")
    if "kind" in fields and fields["kind"] not in CouponKind.values:
        raise InvalidInput(_("kind must be discount or goods."), field="kind")
    if "cost" in fields and (fields["cost"] is None or int(fields["cost"]) <= 0):
        raise InvalidInput(_("The cost must be more than 0 points."), field="cost")
    if "per_user_limit" in fields and (fields["per_user_limit"] is None or int(fields["per_user_limit"]) < 1):
        raise InvalidInput(_("The limit per user must be at least 1."), field="per_user_limit")
    if "code_valid_for" in fields and (fields["code_valid_for"] is None or fields["code_valid_for"] <= timedelta(0)):
        raise InvalidInput(_("Codes must stay valid for some time."), field="code_valid_for")


def _check_window(valid_from: datetime, valid_until: datetime) -> None:
    if valid_until <= valid_from:
        raise InvalidInput(_("valid_until must be after valid_from."), field="valid_until")


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
    _check_coupon_fields(fields)
    _check_window(valid_from, valid_until)
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
    unknown = set(changes) - set(_COUPON_FIELDS) - {"merchant_id"}
    if unknown:
        raise InvalidInput(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]}, field=sorted(unknown)[0])
    _check_coupon_fields(changes)
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
        _check_window(coupon.valid_from, coupon.valid_until)
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


# --- redemption -----------------------------------------------------------------------------


def clean_idempotency_key(raw: str | None) -> str:
    """The Idempotency-Key header value, or a 400 naming the header."""
    if raw is None or not str(raw).strip():
        raise InvalidInput(
            _("The Idempotency-Key header is required: send a new random key for each redemption."),
            field=IDEMPOTENCY_HEADER,
        )
    key = str(raw).strip()
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise InvalidInput(_("Idempotency-Key must be 1 to 100 letters, digits or _.:-"), field=IDEMPOTENCY_HEADER)
    return key


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


@dataclass(frozen=True)
class RedeemResult:
    redemption: Redemption
    created: bool


def redemption_create(*, user_id: int, coupon_id: int, idempotency_key: str) -> RedeemResult:
    """Buy a coupon with points: one code, one debit, one unit of stock, or nothing at all.

    Same key again → the same redemption (`created` False); the same key for another coupon →
    422. Refusals (nothing is recorded): outside the window / inactive 422, per-user limit 422
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
            Coupon.objects.select_related("merchant")
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
        _post_entry(
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


def _staff_merchant_ids(user_id: int) -> set[int]:
    return set(Merchant.objects.filter(staff__pk=user_id, active=True).values_list("id", flat=True))


def redemption_use(*, code: str, staff_user_id: int) -> Redemption:
    """A merchant's staff accept a presented code: issued → used, exactly once (row lock).

    A code of another merchant is reported exactly like an unknown code (404), so staff cannot
    probe other shops' codes. Expired codes are refused even before the expiry job runs.
    """
    normalised = normalise_code(code)
    if not normalised:
        raise InvalidInput(_("Enter the code shown on the customer's phone."), field="code")
    merchant_ids = _staff_merchant_ids(staff_user_id)
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
        redemption.used_by_id = staff_user_id
        redemption.save(update_fields=["status", "used_at", "used_by"])
        _publish_redemption(redemption)
        return redemption


def _end_redemption(*, redemption_id: int, status: str, actor_id: int | None, now: datetime) -> Redemption:
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
        redemption.cancelled_by_id = actor_id
    redemption.save(update_fields=["status", "ended_at", "cancelled_by"])
    Coupon.objects.filter(pk=redemption.coupon_id).update(stock_remaining=F("stock_remaining") + 1)
    _post_entry(
        account=account,
        amount=redemption.cost,
        kind=EntryKind.REFUND,
        reason=redemption.coupon.title,
        idempotency_key=f"redemption:{redemption.pk}:refund",
        source_type=REDEMPTION_SOURCE,
        source_id=str(redemption.pk),
        actor_id=actor_id,
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
def redemption_cancel(*, redemption_id: int, actor_id: int) -> Redemption:
    """The owner (or a dispatcher) gives back an unused code: points and stock are refunded once."""
    refs = Redemption.objects.filter(pk=redemption_id).values("user_id").first()
    actor = User.objects.filter(pk=actor_id).first()
    if refs is None or actor is None:
        raise NotFound(_("No such redemption."))
    if refs["user_id"] != actor.pk and not is_dispatcher(actor):
        raise NotFound(_("No such redemption."))
    return _end_redemption(
        redemption_id=redemption_id, status=RedemptionStatus.CANCELLED, actor_id=actor.pk, now=timezone.now()
    )


def redemption_expire(*, redemption_id: int, now: datetime | None = None) -> Redemption | None:
    """Expire one overdue issued code with its refund; None when there is nothing to do (it was
    used, cancelled or expired meanwhile, or is not overdue)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _end_redemption(redemption_id=redemption_id, status=RedemptionStatus.EXPIRED, actor_id=None, now=now)
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
