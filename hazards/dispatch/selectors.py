"""Reads of tasks: permission-scoped, constant-query (select_related + one photo prefetch)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from govern.errors import NotFound, PermissionDenied
from govern.roles import is_dispatcher
from hazards.core import policy
from hazards.models import LIVE_TASK_Q, Hazard, HazardPhoto, PhotoStatus, Task, TaskPhoto


def task_queryset() -> QuerySet[Task]:
    return Task.objects.select_related(
        "hazard", "hazard__category", "hazard__grid", "assignee", "verified_by"
    ).prefetch_related(Prefetch("photos", queryset=TaskPhoto.objects.order_by("position", "id")))


def task_visible(*, user) -> QuerySet[Task]:
    """Dispatchers: every task. Grid workers: their own and their grids'. Others: their own."""
    if user is None or not user.is_authenticated:
        return Task.objects.none()
    queryset = task_queryset()
    if is_dispatcher(user):
        return queryset
    grids = policy.owned_grid_ids(user)
    if grids:
        return queryset.filter(Q(assignee_id=user.pk) | Q(hazard__grid_id__in=grids))
    return queryset.filter(assignee_id=user.pk)


def task_list(*, user) -> QuerySet[Task]:
    """The API list: open before closed, then by due time."""
    return task_visible(user=user).order_by("due_at", "id")


def task_get(*, user, task_id: int) -> Task:
    task = task_visible(user=user).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No task with this id."))
    return task


def my_open_tasks(*, user) -> list[Task]:
    """The /tasks/ page: my offers and work, soonest due first (offers by accept deadline), with
    the hazard's ready photos (one more query) and whether the assignee may call the reporter."""
    ready = HazardPhoto.objects.filter(status=PhotoStatus.READY).order_by("position", "id")
    tasks = list(
        task_queryset()
        .filter(assignee_id=user.pk)
        .filter(LIVE_TASK_Q)
        .prefetch_related(Prefetch("hazard__photos", queryset=ready, to_attr="ready_photos"))
        .order_by("due_at", "id")
    )
    for task in tasks:
        task.may_call_reporter = policy.can_call_reporter(user, task)
    return tasks


def my_task_history(*, user, limit: int = 50) -> list[Task]:
    return list(task_queryset().filter(assignee_id=user.pk).exclude(LIVE_TASK_Q).order_by("-updated_at", "-id")[:limit])


def hazard_for_dispatch(*, user, hazard_id: int) -> Hazard:
    """A hazard the user may dispatch (dispatchers; grid workers in their grids)."""
    hazard = Hazard.objects.select_related("grid", "category", "category__required_skill").filter(pk=hazard_id).first()
    if hazard is None or not policy.can_view(user, hazard):
        raise NotFound(_("No hazard with this id is visible to you."))
    if not policy.can_dispatch(user, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers may dispatch."))
    return hazard
