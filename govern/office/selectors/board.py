"""The dispatcher board's reads: the queues, the counts, the on-duty responders.

Queues (what a dispatcher acts on):
- untriaged: status `submitted` — needs accept / reject / duplicate. "New" is an untriaged
  report younger than NEW_MINUTES (the page also marks those that arrive live).
- unassigned: status `triaged` or `reopened` — accepted, nobody dispatched yet.
- in work: `dispatched` / `in_progress` — shown on the map and counted.
Overdue tasks join once Task dispatch (issue 6) exists.

A fixed number of queries: counts (1), the active hazards with their first photo (2), the
on-duty volunteers (1), the grid outlines (1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch
from django.utils import timezone

from govern.models import Grid
from hazards.models import Hazard, HazardPhoto, Status
from volunteers.models import Volunteer, VolunteerStatus

NEW_MINUTES = 30
BOARD_LIMIT = 300
UNTRIAGED = (Status.SUBMITTED,)
UNASSIGNED = (Status.TRIAGED, Status.REOPENED)
IN_WORK = (Status.DISPATCHED, Status.IN_PROGRESS)
ACTIVE = UNTRIAGED + UNASSIGNED + IN_WORK


@dataclass
class Board:
    untriaged: list[Hazard]
    unassigned: list[Hazard]
    in_work: list[Hazard]
    counts: dict[str, int]
    volunteers: list[Volunteer]
    grids: list[Grid]
    new_since: object


def board(*, limit: int = BOARD_LIMIT) -> Board:
    counts = dict(
        Hazard.objects.filter(status__in=ACTIVE).values("status").annotate(n=Count("id")).order_by().values_list("status", "n")
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
    grids = list(Grid.objects.select_related("community").only("id", "name", "boundary", "community__name").order_by("id"))
    return Board(
        untriaged=[h for h in hazards if h.status in UNTRIAGED],
        unassigned=[h for h in hazards if h.status in UNASSIGNED],
        in_work=[h for h in hazards if h.status in IN_WORK],
        counts={
            "untriaged": sum(counts.get(s, 0) for s in UNTRIAGED),
            "unassigned": sum(counts.get(s, 0) for s in UNASSIGNED),
            "in_work": sum(counts.get(s, 0) for s in IN_WORK),
        },
        volunteers=volunteers,
        grids=grids,
        new_since=timezone.now() - timedelta(minutes=NEW_MINUTES),
    )
