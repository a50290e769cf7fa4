"""The earning rules every kind of verified service pays under, and how other apps ask for an award.

Rule rows are seeded by migrations and edited in the admin (points, per-minutes unit, factors,
on/off); callers name a rule by its code. An award is queued through the task outbox
(`rewards.tasks.award_points`, after the caller's transaction commits) and paid by
`rewards.ledger.points_award`: once per (rule, source, user), within the daily cap, however often
the queue retries.

Who pays what:
- `report_verified`: a verified hazard report → its first reporter (hazards.core.lifecycle).
- `task_verified`: a verified task → its assignee (hazards.dispatch).
- `service_minutes`: a reviewed and approved service record → the volunteer, per 30 minutes
  (volunteers.service_records). Minutes credited for a verified task are paid by task_verified.
- `inspection_submitted`: a submitted inspection → its inspector (hazards.premises.campaigns).
- `finding_fixed`: a hazard found by an inspection and verified fixed → the inspector
  (hazards.core.lifecycle), instead of report_verified.
- `activity_attended`: attendance at an activity → the attendee (the activities feature calls
  `activity_attendance_award`).
"""

from __future__ import annotations

from govern.models import User
from govern.task_outbox import enqueue_on_commit

AWARD_TASK = "rewards.tasks.award_points"
CLAWBACK_TASK = "rewards.tasks.claw_back_points"  # rewards.clawback: a verified hazard reopened

REPORT_VERIFIED = "report_verified"
TASK_VERIFIED = "task_verified"
SERVICE_MINUTES = "service_minutes"
INSPECTION_SUBMITTED = "inspection_submitted"
FINDING_FIXED = "finding_fixed"
ACTIVITY_ATTENDED = "activity_attended"

ACTIVITY_SOURCE = "activities.attendance"


def activity_attendance_award(*, user_id: int, activity_id: int, actor: User | None) -> None:
    """Queue the `activity_attended` award for one attendee of one activity (on commit of the
    caller's transaction). Idempotent per (activity, attendee): marking attendance twice pays once.
    `actor` is whoever confirmed the attendance; nobody is paid for confirming their own."""
    enqueue_on_commit(
        AWARD_TASK,
        user_id=int(user_id),
        rule_code=ACTIVITY_ATTENDED,
        source_type=ACTIVITY_SOURCE,
        source_id=str(int(activity_id)),
        actor_id=getattr(actor, "pk", None),
    )
