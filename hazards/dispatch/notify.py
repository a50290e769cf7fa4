"""The offer ladder's side in dispatch: whether an offer still waits for its person, its card shown
(`POST /api/v1/tasks/{id}/seen/`), and the board told how each offer reached its person
(`task.reach`). Registered with govern.notify in HazardsConfig.ready."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import NotFound
from govern.live import DISPATCH_TOPIC, publish
from govern.notify.selectors import offer_reach
from govern.notify.services import notifications_seen
from hazards.core.events import task_reach
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
    seen = notifications_seen(actor=actor, ref=f"task:{task_id}")
    if seen:
        _publish_reach(task_id=task_id, user_id=actor.pk)
    return seen


def _publish_reach(*, task_id: int, user_id: int) -> None:
    task = Task.objects.filter(pk=task_id, assignee_id=user_id).only("id", "status", "assignee_id", "hazard_id").first()
    if task is None:
        return
    ref = f"task:{task_id}"
    reach = offer_reach([(user_id, ref)])[(user_id, ref)]
    publish([DISPATCH_TOPIC], "task.reach", task_reach(task, reach))


def offer_step_done(notification) -> None:
    """A ladder step of an offer (push or SMS) was sent, skipped, failed or cancelled: tell the board."""
    kind, _sep, task_id = notification.ref.partition(":")
    if kind != "task" or not task_id.isdigit():
        return
    with transaction.atomic():
        _publish_reach(task_id=int(task_id), user_id=notification.user_id)
