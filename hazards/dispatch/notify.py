"""The offer ladder's side in dispatch: whether an offer still waits for its person, and its card
shown (`POST /api/v1/tasks/{id}/seen/`). Registered with govern.notify in HazardsConfig.ready."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import NotFound
from govern.notify.services import notifications_seen
from hazards.models import Task, TaskStatus


def offer_open(notification) -> bool:
    """A ladder step about `task:<id>` goes only while that offer is open for that person."""
    kind, _sep, task_id = notification.ref.partition(":")
    if kind != "task" or not task_id.isdigit():
        return True
    return Task.objects.filter(pk=int(task_id), assignee_id=notification.user_id, status=TaskStatus.OFFERED).exists()


@transaction.atomic
def task_seen(*, task_id: int, actor) -> int:
    """The person's page showed this task's card: no push needed for it any more."""
    if not Task.objects.filter(pk=task_id, assignee_id=actor.pk).exists():
        raise NotFound(_("No task with this id."))
    return notifications_seen(actor=actor, ref=f"task:{task_id}")
