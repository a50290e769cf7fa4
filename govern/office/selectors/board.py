"""The dispatcher board's reads: the queues, the counts, the on-duty responders.

Queues (what a dispatcher acts on):
- untriaged: status `submitted` — needs accept / reject / duplicate. "New" is an untriaged
  report younger than NEW_MINUTES (the page also marks those that arrive live).
- unassigned: status `triaged` or `reopened` — accepted, nobody dispatched yet.
- in work: `dispatched` / `in_progress`, and any hazard someone holds a live task for (offered,
  accepted, in progress): an accepted hazard that was offered is "offered", not "unassigned".
  Each card carries its live tasks, so the page shows "offered (waiting for acceptance)",
  "accepted by …", "in progress" with the due time.
- overdue: hazards whose accepted / in-progress task escalation has flagged past its due time
  (`Task.overdue`, the `task.overdue` event). They leave "in work" for this queue, so every
  hazard is in exactly one queue and the counts add up.

A fixed number of queries: counts (2), the active hazards with their first photo (2), their live
tasks with the assignees (1), the on-duty volunteers (1), the grid outlines (1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from govern.models import Grid
from hazards.models import Hazard, HazardPhoto, Status, Task, TaskStatus
from volunteers.models import Volunteer, VolunteerStatus

NEW_MINUTES = 30
BOARD_LIMIT = 300
UNTRIAGED = (Status.SUBMITTED,)
UNASSIGNED = (Status.TRIAGED, Status.REOPENED)
IN_WORK = (Status.DISPATCHED, Status.IN_PROGRESS)
ACTIVE = UNTRIAGED + UNASSIGNED + IN_WORK
# Tasks that mean somebody has (or is being offered) the hazard; done ones leave it rectified.
BOARD_TASK_STATUSES = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
OVERDUE_TASK = Q(overdue=True, status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS])


@dataclass
class Board:
    untriaged: list[Hazard]
    unassigned: list[Hazard]
    in_work: list[Hazard]
    overdue: list[Hazard]
    counts: dict[str, int]
    volunteers: list[Volunteer]
    grids: list[Grid]
    new_since: object


def queue_of(status: str, tasks: list[Task]) -> str:
    """The one queue a hazard is shown in (static/js/office/board.js mirrors this rule)."""
    if any(t.overdue and t.status in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS) for t in tasks):
        return "overdue"
    if status in UNTRIAGED:
        return "untriaged"
    if status in UNASSIGNED and not tasks:
        return "unassigned"
    return "in_work"


def board(*, limit: int = BOARD_LIMIT) -> Board:
    counts = dict(
        Hazard.objects.filter(status__in=ACTIVE)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    held = Task.objects.filter(status__in=BOARD_TASK_STATUSES, hazard__status__in=ACTIVE).aggregate(
        # untriaged hazards cannot hold tasks (dispatch needs triage), so two numbers settle the counts
        offered_unassigned=Count("hazard_id", distinct=True, filter=Q(hazard__status__in=UNASSIGNED)),
        overdue=Count("hazard_id", distinct=True, filter=OVERDUE_TASK),
    )
    hazards = list(
        Hazard.objects.filter(status__in=ACTIVE)
        .select_related("category", "grid", "community")
        .prefetch_related(Prefetch("photos", queryset=HazardPhoto.objects.filter(position=0), to_attr="first_photos"))
        .order_by("-created_at", "-id")[:limit]
    )
    volunteers = list(
        Volunteer.objects.filter(on_duty=True, status=VolunteerStatus.APPROVED, latitude__isnull=False)
        .select_related("team")
        .only("id", "user_id", "real_name", "latitude", "longitude", "position_updated_at", "team__name")
        .order_by("real_name", "id")[:500]
    )
    tasks_of: dict[int, list[Task]] = {h.pk: [] for h in hazards}
    for task in (
        Task.objects.filter(hazard_id__in=list(tasks_of), status__in=BOARD_TASK_STATUSES)
        .select_related("assignee")
        .only(
            "id",
            "hazard_id",
            "status",
            "overdue",
            "offered_at",
            "accept_deadline",
            "due_at",
            "assignee_kind",
            "assignee__id",
            "assignee__username",
            "assignee__display_name",
        )
        .order_by("offered_at", "id")
    ):
        tasks_of[task.hazard_id].append(task)
    queues: dict[str, list[Hazard]] = {"untriaged": [], "unassigned": [], "in_work": [], "overdue": []}
    for hazard in hazards:
        hazard.live_tasks = tasks_of[hazard.pk]
        queues[queue_of(hazard.status, hazard.live_tasks)].append(hazard)
    unassigned = sum(counts.get(s, 0) for s in UNASSIGNED) - held["offered_unassigned"]
    grids = list(
        Grid.objects.select_related("community").only("id", "name", "boundary", "community__name").order_by("id")
    )
    return Board(
        untriaged=queues["untriaged"],
        unassigned=queues["unassigned"],
        in_work=queues["in_work"],
        overdue=queues["overdue"],
        counts={
            "untriaged": sum(counts.get(s, 0) for s in UNTRIAGED),
            "unassigned": unassigned,
            "in_work": sum(counts.get(s, 0) for s in IN_WORK) + held["offered_unassigned"] - held["overdue"],
            "overdue": held["overdue"],
        },
        volunteers=volunteers,
        grids=grids,
        new_since=timezone.now() - timedelta(minutes=NEW_MINUTES),
    )
