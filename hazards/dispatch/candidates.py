"""Who could fix this hazard, best first.

Two kinds of responder:

- **The grid's workers** (`Grid.workers`). A grid worker is rostered staff for their grid, so they
  are always candidates for its hazards — "on duty" is their working day, not an app switch. Where
  they are: if the grid worker also has an approved volunteer profile that is on duty with a fresh
  position, that position; otherwise the grid's centre (`position_source: "grid_centre"`), which is
  an honest estimate for someone whose patch is the grid. The category's required skill does not
  filter grid workers (they are trained for every category in their grid); their task limit is
  HAZARD_GRID_WORKER_MAX_ACTIVE_TASKS.
- **Volunteers** from `volunteers.selectors.volunteer_candidates`: approved, on duty, with a position
  younger than VOLUNTEER_POSITION_MAX_AGE, within HAZARD_CANDIDATE_RADIUS_M, holding the category's
  required skill with a valid certificate. SQL reads only the bounding box of the circle through
  the partial index on on-duty positions (no full scan as volunteers grow).

Excluded: anyone who declined this hazard or let an offer of it expire, anyone already holding a
live task on it, and anyone at their task limit (offered + accepted + in-progress tasks). Ranked
by `eta_s` (distance over the speed of the travel mode that distance calls for; hazards.conf
travel_modes), then distance, then user id. Four queries whatever the number of people.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from govern.geo import haversine_m
from hazards import conf
from hazards.models import BUSY_TASK_STATUSES, AssigneeKind, Hazard, Task, TaskStatus
from volunteers.models import Volunteer, VolunteerStatus
from volunteers.selectors import volunteer_candidates


@dataclass
class Candidate:
    user_id: int
    display_name: str
    kind: str  # AssigneeKind
    distance_m: float
    eta_s: int
    mode: str
    position_source: str  # "duty" (a fresh duty position) or "grid_centre"
    active_tasks: int
    max_active_tasks: int
    team: dict | None = None

    @property
    def user(self) -> dict:
        return {"id": self.user_id, "display_name": self.display_name}


def travel(distance_m: float) -> tuple[str, int]:
    """(mode, eta in whole seconds) for a distance, by hazards.conf.travel_modes."""
    modes = conf.travel_modes()
    chosen = modes[-1]
    for mode in modes:
        if mode.get("max_m") is None or distance_m <= float(mode["max_m"]):
            chosen = mode
            break
    return str(chosen["mode"]), int(math.ceil(distance_m / float(chosen["speed_mps"])))


def excluded_user_ids(hazard_id: int) -> set[int]:
    """Declined or let expire, or holding a live task on this hazard (one query)."""
    rows = Task.objects.filter(hazard_id=hazard_id).values_list("assignee_id", "status", "verified_at")
    out = set()
    for user_id, status, verified_at in rows:
        lost = status in (TaskStatus.DECLINED, TaskStatus.EXPIRED)
        live = status in BUSY_TASK_STATUSES or (status == TaskStatus.DONE and verified_at is None)
        if lost or live:
            out.add(user_id)
    return out


def busy_counts(user_ids) -> dict[int, int]:
    """Open tasks per person (offered, accepted, in progress): one aggregate query."""
    if not user_ids:
        return {}
    rows = (
        Task.objects.filter(assignee_id__in=list(user_ids), status__in=BUSY_TASK_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def _display(user) -> str:
    return user.display_name or user.username


def rank_candidates(hazard: Hazard, *, now: dt.datetime | None = None, limit: int | None = None) -> list[Candidate]:
    """The candidates for `hazard` (with its grid and category loaded), best first."""
    now = now or timezone.now()
    excluded = excluded_user_ids(hazard.pk)
    grid = hazard.grid
    workers = list(grid.workers.filter(is_active=True).order_by("id"))
    worker_ids = [w.pk for w in workers]
    # A grid worker who is also an on-duty volunteer with a fresh position: use that position.
    duty = {
        v.user_id: v
        for v in Volunteer.objects.filter(user_id__in=worker_ids, on_duty=True, status=VolunteerStatus.APPROVED)
        if v.position_fresh(now)
    } if worker_ids else {}
    skill = hazard.category.required_skill.slug if hazard.category.required_skill_id else None
    volunteers = volunteer_candidates(
        latitude=hazard.latitude,
        longitude=hazard.longitude,
        radius_m=conf.candidate_radius_m(),
        skill_slug=skill,
        exclude_user_ids=excluded | set(worker_ids),
        now=now,
    )
    counts = busy_counts(set(worker_ids) | {v.user_id for v in volunteers})

    ranked: list[Candidate] = []
    for worker in workers:
        if worker.pk in excluded:
            continue
        limit_for = conf.grid_worker_max_active_tasks()
        active = counts.get(worker.pk, 0)
        if active >= limit_for:
            continue
        profile = duty.get(worker.pk)
        if profile is not None:
            distance, source = haversine_m(hazard.latitude, hazard.longitude, profile.latitude, profile.longitude), "duty"
        else:
            distance = haversine_m(hazard.latitude, hazard.longitude, grid.center_latitude, grid.center_longitude)
            source = "grid_centre"
        mode, eta = travel(distance)
        ranked.append(Candidate(worker.pk, _display(worker), AssigneeKind.GRID_WORKER, round(distance, 1), eta, mode,
                                source, active, limit_for))
    for volunteer in volunteers:
        active = counts.get(volunteer.user_id, 0)
        if active >= volunteer.max_active_tasks:
            continue
        mode, eta = travel(volunteer.distance_m)
        team = {"id": volunteer.team.pk, "name": volunteer.team.name} if volunteer.team_id else None
        ranked.append(Candidate(volunteer.user_id, _display(volunteer.user), AssigneeKind.VOLUNTEER,
                                round(volunteer.distance_m, 1), eta, mode, "duty", active, volunteer.max_active_tasks, team))
    ranked.sort(key=lambda c: (c.eta_s, c.distance_m, c.user_id))
    return ranked[:limit] if limit is not None else ranked
