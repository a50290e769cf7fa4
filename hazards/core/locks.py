"""Row locks on hazards and tasks, in the one order of the package docstring (hazards.core).

Every module that locks a hazard or a task does it through these, inside its own transaction.

FOR NO KEY UPDATE, not FOR UPDATE: the services change a hazard's or a task's columns, never its
key, and a transaction inserting a row that references one (a report's duplicate suggestion
names the hazard nearby; PostgreSQL checks Django's deferred foreign keys at COMMIT, after that
transaction took the publish lock) takes FOR KEY SHARE on it, which FOR UPDATE would block: the
locker, waiting for the publish lock next, and the reporter would wait for each other (a
deadlock, reports lost under load). NO KEY UPDATE still excludes every other locker here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from govern.errors import NotFound
from hazards.models import Hazard, Task


def lock_hazard(hazard_id) -> Hazard:
    """The hazard, row-locked, with its category and duplicate_of loaded."""
    hazard = (
        Hazard.objects.select_for_update(of=("self",), no_key=True)
        .select_related("category", "duplicate_of")
        .filter(pk=hazard_id)
        .first()
    )
    if hazard is None:
        raise NotFound(_("No hazard with this id."))
    return hazard


def lock_hazards(hazard_ids: Iterable[int]) -> None:
    """Lock several hazards, lowest id first (two merges of a pair in opposite directions then wait
    for each other instead of deadlocking)."""
    list(
        Hazard.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(hazard_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_task(task_id) -> tuple[Hazard, Task]:
    """Lock the task's hazard, then the task (the fixed order), and return both."""
    hazard_id = Task.objects.filter(pk=task_id).values_list("hazard_id", flat=True).first()
    if hazard_id is None:
        raise NotFound(_("No task with this id."))
    hazard = lock_hazard(hazard_id)
    task = (
        Task.objects.select_for_update(of=("self",), no_key=True).select_related("assignee").filter(pk=task_id).first()
    )
    if task is None:
        raise NotFound(_("No task with this id."))
    task.hazard = hazard
    return hazard, task
