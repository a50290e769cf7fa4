"""Claw-back: take an award back when what it paid for is undone (a verified hazard reopened).

- Once per award (PointsClawback.award is one-to-one): a second reopen, or the job retried,
  takes nothing more.
- Never below zero: the reversal takes at most the current balance; what was already spent
  is the `shortfall`, recorded and flagged for a dispatcher (`points.clawback_shortfall` on the
  dispatch topic, and the open shortfalls in the admin and the API) until one resolves it.
- An award whose entry was already reversed by hand (or that paid nothing under the cap)
  records a claw-back of 0.

Locks as in rewards.lock_objects: the account first. hazards queues `rewards.tasks.claw_back_points`
on commit (hazards.core.lifecycle); rewards never imports hazards.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, NotFound
from govern.live import DISPATCH_TOPIC, publish
from govern.models import User
from rewards.clean import clean_reason, clean_source
from rewards.ledger import post_entry
from rewards.lock_objects import account_for_update
from rewards.models import EntryKind, PointsAward, PointsClawback, PointsEntry
from rewards.policy import check_adjuster


def clawback_payload(clawback: PointsClawback, user_id: int) -> dict:
    """`points.clawback_shortfall`: an award taken back only in part (docs/events.md)."""
    return {
        "clawback_id": clawback.pk,
        "user_id": user_id,
        "source_type": clawback.award.source_type,
        "source_id": clawback.award.source_id,
        "points_paid": clawback.points_paid,
        "points_taken": clawback.points_taken,
        "shortfall": clawback.shortfall,
        "reason": clawback.reason,
    }


def points_clawback(
    *, rule_code: str, source_type: str, source_id: str | int, reason: str, actor: User | None = None
) -> list[PointsClawback]:
    """Take back every award of `rule_code` for this source (one per beneficiary), each once."""
    source_type, source_id = clean_source(source_type, source_id)
    reason = clean_reason(reason)
    awards = PointsAward.objects.filter(rule__code=rule_code, source_type=source_type, source_id=source_id)
    return [
        _claw_back_one(award_id=award_id, user_id=user_id, reason=reason, actor=actor)
        for award_id, user_id in awards.order_by("pk").values_list("pk", "user_id")
    ]


@transaction.atomic
def _claw_back_one(*, award_id: int, user_id: int, reason: str, actor: User | None) -> PointsClawback:
    account = account_for_update(user_id)
    existing = PointsClawback.objects.filter(award_id=award_id).select_related("award").first()
    if existing is not None:
        return existing
    award = PointsAward.objects.get(pk=award_id)
    reversed_already = award.entry_id is not None and PointsEntry.objects.filter(reverses_id=award.entry_id).exists()
    owed = 0 if award.entry_id is None or reversed_already else award.entry.amount
    taken = min(owed, account.balance)
    entry = None
    if taken > 0:
        entry = post_entry(
            account=account,
            amount=-taken,
            kind=EntryKind.REVERSAL,
            reason=reason,
            idempotency_key=f"clawback:{award.pk}",
            source_type=award.source_type,
            source_id=award.source_id,
            rule=award.rule,
            actor=actor,
            reverses=award.entry,
        )
    clawback = PointsClawback.objects.create(
        award=award, entry=entry, points_paid=owed, points_taken=taken, shortfall=owed - taken, reason=reason
    )
    if clawback.shortfall:
        publish([DISPATCH_TOPIC], "points.clawback_shortfall", clawback_payload(clawback, user_id))
    return clawback


@transaction.atomic
def points_clawback_resolve(*, clawback_id: int, actor: User) -> PointsClawback:
    """A dispatcher has dealt with a shortfall (talked to the person, adjusted later points):
    the flag goes down. Resolving twice is a 409."""
    clawback = PointsClawback.objects.select_for_update().filter(pk=clawback_id).first()
    if clawback is None:
        raise NotFound(_("No such claw-back."))
    check_adjuster(actor, [clawback.award.user_id])
    if clawback.resolved_at is not None:
        raise Conflict(_("This shortfall was already resolved."), code="already_resolved")
    clawback.resolved_at = timezone.now()
    clawback.resolved_by = actor
    clawback.save(update_fields=["resolved_at", "resolved_by"])
    return clawback
