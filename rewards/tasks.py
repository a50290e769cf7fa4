"""Celery tasks of the rewards app: ids and strings in, a service call, nothing else.

Other apps enqueue `award_points` through the task outbox, so a broker outage never loses it
(e.g. when a dispatcher verifies a task):

    enqueue_on_commit("rewards.tasks.award_points", user_id=..., rule_code="task_verified",
                      source_type="hazards.task", source_id=str(task.pk), actor_id=..., severity="high")
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from govern.errors import DomainError

logger = logging.getLogger(__name__)


@shared_task(
    name="rewards.tasks.award_points",
    autoretry_for=(OperationalError,),  # a lost connection or lock timeout: the award is idempotent
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def award_points(
    *,
    user_id: int,
    rule_code: str,
    source_type: str,
    source_id: str,
    actor_id: int | None = None,
    severity: str | None = None,
    minutes: int | None = None,
) -> int | None:
    """Pay an earning rule once per (rule, source, user); returns the PointsAward id or None."""
    from govern.models import User
    from rewards.ledger import points_award

    # A verifier whose account is gone by now counts as the system (nobody to refuse as the beneficiary).
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    try:
        award = points_award(
            user_id=user_id,
            rule_code=rule_code,
            source_type=source_type,
            source_id=source_id,
            actor=actor,
            severity=severity,
            minutes=minutes,
        )
    except DomainError as exc:  # bad input will not get better by retrying
        logger.warning("award_points(%s, %s:%s → user %s) refused: %s", rule_code, source_type, source_id, user_id, exc)
        return None
    return award.pk if award is not None else None


@shared_task(name="rewards.tasks.expire_redemptions")
def expire_redemptions() -> int:
    """Beat job: expire overdue codes and refund their points and stock (once each)."""
    from rewards.redemptions import redemptions_expire_due

    return redemptions_expire_due()


@shared_task(name="rewards.tasks.warn_expiring_redemptions")
def warn_expiring_redemptions() -> int:
    """Beat job: remind owners of codes that expire soon (once per code)."""
    from rewards.redemptions import redemptions_warn_expiring

    return redemptions_warn_expiring()


@shared_task(
    name="rewards.tasks.claw_back_points",
    autoretry_for=(OperationalError,),  # idempotent: one claw-back per award
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def claw_back_points(
    *, rule_code: str, source_type: str, source_id: str, reason: str, actor_id: int | None = None
) -> list[int]:
    """Take back the awards of a rule for a source (a reopened verification), once each."""
    from govern.models import User
    from rewards.clawback import points_clawback

    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    try:
        done = points_clawback(
            rule_code=rule_code, source_type=source_type, source_id=source_id, reason=reason, actor=actor
        )
    except DomainError as exc:
        logger.warning("claw_back_points(%s, %s:%s) refused: %s", rule_code, source_type, source_id, exc)
        return []
    return [c.pk for c in done]


@shared_task(name="rewards.tasks.expire_points")
def expire_points() -> int:
    """Beat job: points unspent for POINTS_EXPIRE_AFTER_DAYS expire, oldest first (off when 0)."""
    from rewards.expiry import points_expire_due

    return points_expire_due()
