"""A dispatcher reopens a fixed hazard (the board's "reopen requested" queue, the hazard page).

Which write that is depends on where the fix stands, so the decision lives here and not in a view:
a fix still waiting for verification is refused (hazards.dispatch: the task goes back to its
assignee with the reason, as a refusal on the board does); a verified fix is reopened for
dispatch (hazards.triage.services.hazard_reopen).
"""

from __future__ import annotations

from django.db import transaction

from hazards.core.locks import lock_hazard
from hazards.dispatch.services import task_verify
from hazards.models import Hazard, Task, TaskStatus
from hazards.triage.services import hazard_reopen


@transaction.atomic
def hazard_send_back(*, hazard_id: int, actor, note: str) -> Hazard:
    """Reopen a rectified or verified hazard with the reason (`note`, required)."""
    hazard = lock_hazard(hazard_id)
    pending = (
        Task.objects.filter(hazard_id=hazard.pk, status=TaskStatus.DONE, verified_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if pending is not None:
        return task_verify(task_id=pending, actor=actor, approved=False, note=note).hazard
    return hazard_reopen(hazard_id=hazard.pk, actor=actor, note=note)
