"""The points ledger: awards, adjustments, reversals, the leaderboard opt-in.

Invariants (each also a database constraint where a constraint can say it):
- an account's balance is never negative and always equals the sum of its entries;
- entries are append-only; a correction is a `reversal` entry;
- an award pays at most once per (rule, source, user); an entry's idempotency key is unique.

Locks are taken in one order (rewards.lock_objects): accounts (lowest pk first) → coupon →
redemption. Live events are written in the same transaction and delivered on commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, Unprocessable
from govern.live import publish, user_topic
from govern.models import User
from rewards import conf
from rewards.clean import (
    clean_adjust_amount,
    clean_minutes,
    clean_optional_idempotency_key,
    clean_reason,
    clean_source,
    severity_factor,
)
from rewards.codes import new_code
from rewards.lock_objects import account_for_update, accounts_for_update
from rewards.models import EarningRule, EntryKind, PointsAccount, PointsAward, PointsEntry
from rewards.payloads import entry_payload
from rewards.policy import check_adjuster

logger = logging.getLogger(__name__)

ADJUSTMENT_SOURCE = "rewards.adjustment"
REVERSIBLE_KINDS = (EntryKind.EARN, EntryKind.ADJUST)


def post_entry(
    *,
    account: PointsAccount,
    amount: int,
    kind: str,
    reason: str,
    idempotency_key: str,
    source_type: str = "",
    source_id: str = "",
    rule: EarningRule | None = None,
    actor: User | None = None,
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
        actor=actor,
        reverses=reverses,
        balance_after=new_balance,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    event = ([user_topic(account.user_id)], "points.changed", entry_payload(entry))
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


def award_idempotency_key(*, rule_code: str, source_type: str, source_id: str, user_id: int) -> str:
    return f"award:{rule_code}:{source_type}:{source_id}:{user_id}"


def points_award(
    *,
    user_id: int,
    rule_code: str,
    source_type: str,
    source_id: str | int,
    actor: User | None = None,
    severity: str | None = None,
    minutes: int | None = None,
) -> PointsAward | None:
    """Pay `user_id` for verified help under an earning rule. Idempotent; safe to retry.

    - Once per (rule, source, user): a second call (a retry, a second verification, a concurrent
      duplicate) returns the first PointsAward and pays nothing.
    - Returns None and records nothing when the rule is inactive or when the actor who verified
      is the beneficiary ("no points for verifying your own report or task"); a later award by
      another verifier may still pay.
    - Daily cap (rewards.conf.daily_cap): pays only what is left of today's cap (local day); the
      award is recorded even when nothing was left, so the same source never pays later.
    - Points due = rule.points × the rule's factor for `severity`, rounded half up; for a rule
      paid per time (`rule.per_minutes`, e.g. 30), times the whole units in `minutes` (90 → 3).
      A source worth nothing (29 minutes) is still recorded, with 0 due and 0 paid.
    """
    source_type, source_id = clean_source(source_type, source_id)
    actor_id = actor.pk if actor is not None else None
    if actor_id is not None and actor_id == int(user_id):
        logger.info("points_award refused: user %s verified their own %s %s", user_id, source_type, source_id)
        return None
    rule = EarningRule.objects.filter(code=rule_code).first()
    if rule is None:
        raise NotFound(_("No earning rule %(code)s.") % {"code": rule_code}, field="rule_code")
    if not rule.active:
        logger.info("points_award skipped: rule %s is inactive", rule_code)
        return None
    factor = severity_factor(rule, severity)
    due = int((Decimal(rule.points) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if rule.per_minutes:
        due *= clean_minutes(minutes) // rule.per_minutes
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
            entry = post_entry(
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
                actor=actor,
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


def _adjust_key(actor: User | None, idempotency_key: str) -> str:
    return f"adjust:{actor.pk if actor is not None else 'system'}:{idempotency_key}"


@dataclass(frozen=True)
class AdjustResult:
    entry: PointsEntry
    created: bool


def points_adjust(
    *, user_id: int, amount: int, reason: str, actor: User | None, idempotency_key: str | None = None
) -> AdjustResult:
    """A manual adjustment with a reason, by a dispatcher (actor) or the system (actor None).

    With an idempotency key, a retry returns the first entry (`created` False); the same key for
    a different user or amount is refused (422). A debit that would go below zero is refused.
    """
    amount = clean_adjust_amount(amount)
    reason = clean_reason(reason)
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound(_("No such user."), field="user")
    check_adjuster(actor, [user_id])
    idempotency_key = clean_optional_idempotency_key(idempotency_key)
    with transaction.atomic():
        account = account_for_update(user_id)
        if idempotency_key is not None:
            key = _adjust_key(actor, idempotency_key)
            existing = PointsEntry.objects.filter(idempotency_key=key).first()
            if existing is not None:
                # Any difference in the body (whose account, how much, why) is a different
                # adjustment, not a retry: 422 like redemptions (issue 21).
                if existing.account_id != account.pk or existing.amount != amount or existing.reason != reason[:200]:
                    raise Unprocessable(
                        _("This Idempotency-Key was already used for a different adjustment."),
                        code="idempotency_key_reused",
                    )
                return AdjustResult(existing, False)
        else:
            key = _adjust_key(actor, new_code() + new_code())
        entry = post_entry(
            account=account,
            amount=amount,
            kind=EntryKind.ADJUST,
            reason=reason,
            idempotency_key=key,
            source_type=ADJUSTMENT_SOURCE,
            actor=actor,
        )
        return AdjustResult(entry, True)


@transaction.atomic
def points_adjust_bulk(*, user_ids: Iterable[int], amount: int, reason: str, actor: User | None) -> list[PointsEntry]:
    """The same adjustment for several users, all or nothing (e.g. 50 points to everyone who
    joined a fire drill). Accounts are locked together in primary-key order."""
    amount = clean_adjust_amount(amount)
    reason = clean_reason(reason)
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        raise InvalidInput(_("Choose at least one account."), field="user")
    if User.objects.filter(pk__in=ids).count() != len(ids):
        raise NotFound(_("No such user."), field="user")
    check_adjuster(actor, ids)
    accounts = accounts_for_update(ids)
    batch = new_code()
    return [
        post_entry(
            account=accounts[uid],
            amount=amount,
            kind=EntryKind.ADJUST,
            reason=reason,
            idempotency_key=_adjust_key(actor, f"bulk-{batch}-{uid}"),
            source_type=ADJUSTMENT_SOURCE,
            actor=actor,
        )
        for uid in sorted(ids, key=lambda uid: accounts[uid].pk)
    ]


def points_reverse(*, entry_id: int, reason: str, actor: User | None) -> PointsEntry:
    """Undo an earning or adjustment with an opposite entry, exactly once (the reversal's
    idempotency key and the one-to-one `reverses` both say so). Redemption debits and refunds
    are undone by cancelling the redemption instead."""
    reason = clean_reason(reason)
    original = PointsEntry.objects.filter(pk=entry_id).select_related("account").first()
    if original is None:
        raise NotFound(_("No such points entry."), field="entry")
    if original.kind not in REVERSIBLE_KINDS:
        raise Conflict(_("Only earnings and adjustments can be reversed; cancel the redemption instead."))
    check_adjuster(actor, [original.account.user_id])
    with transaction.atomic():
        account = account_for_update(original.account.user_id)
        if PointsEntry.objects.filter(reverses=original).exists():
            raise Conflict(_("This entry was already reversed."), code="already_reversed")
        return post_entry(
            account=account,
            amount=-original.amount,
            kind=EntryKind.REVERSAL,
            reason=reason,
            idempotency_key=f"reversal:{original.pk}",
            source_type=original.source_type,
            source_id=original.source_id,
            rule=original.rule,
            actor=actor,
            reverses=original,
        )


@transaction.atomic
def points_account_set_leaderboard(*, user_id: int, show: bool) -> PointsAccount:
    """Opt in to (or out of) showing one's display name on the community leaderboard."""
    account = account_for_update(user_id)
    account.show_on_leaderboard = bool(show)
    account.save(update_fields=["show_on_leaderboard", "updated_at"])
    return account
