"""Who could fix this hazard, best first.

Two kinds of responder:

- **The grid's workers** (`Grid.workers`). A grid worker is rostered staff for their grid, so they
  are always candidates for its hazards — "on duty" is their working day, not an app switch. Where
  they are: if the grid worker also has an approved volunteer profile that is on duty with a fresh
  position, that position; otherwise the grid's centre (`position_source: "grid_centre"`), which is
  an honest estimate for someone whose patch is the grid. The category's required skill does not
  filter grid workers (they are trained for every category in their grid); their task limit is
  HAZARD_GRID_WORKER_MAX_ACTIVE_TASKS.
- **Volunteers**: approved, on duty, with a position younger than VOLUNTEER_POSITION_MAX_AGE,
  within HAZARD_CANDIDATE_RADIUS_M, holding the category's required skill with a valid certificate
  (`volunteers.selectors.candidate_queryset`: the bounding box through the partial index on on-duty
  positions).

Excluded: anyone who declined this hazard or let an offer of it expire, anyone already holding a
live task on it, and anyone at their task limit (offered + accepted + in-progress tasks; for
volunteers a subquery in SQL, so the database never returns people who cannot be offered). Ranked
by `eta_s` (distance over the speed of the travel mode that distance calls for; hazards.conf
travel_modes), then distance, then user id.

**Scale.** With a `limit` (the candidates endpoint: HAZARD_CANDIDATE_LIMIT; dispatch: `broadcast`)
the database returns only the nearest volunteers: each query reads a ring's bounding box (through
the partial position index) ordered by an equirectangular distance computed in SQL (plain
arithmetic) with a LIMIT, and Python computes the exact haversine distance and ETA on those rows.
Rings grow from FIRST_RING_M (×1.5 to ×3, by the density seen) until the best `limit` by ETA are
certain: everyone nearer than the covered distance has been seen, and nobody farther can arrive
sooner (`eta_lower_bound`: ETA is not monotone in distance — just past a mode's `max_m` a faster
mode starts — so the bound takes the best mode still reachable). Dense areas settle in one small
ring; sparse ones take a few more small queries. Without a limit every volunteer in the radius is
read in one query (five queries in all, whatever the number of people).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from govern.geo import haversine_m, planar_distance_m, planar_distance_sq_sql
from hazards import conf
from hazards.models import BUSY_TASK_STATUSES, AssigneeKind, Hazard, Task, TaskStatus
from volunteers.models import Volunteer, VolunteerStatus
from volunteers.selectors import candidate_queryset

FIRST_RING_M = 100.0
RING_GROWTH = 3.0
MIN_BATCH = 40  # rows per ring query at least (4 × the number wanted otherwise)
# The SQL ordering is equirectangular; within the candidate radius it is off the great-circle
# distance by far less than 3 % (under 1 % within 5 km below 70°), so "planar ≥ p" means
# "exact ≥ p × PLANAR_SLACK".
PLANAR_SLACK = 0.97


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


def _bands() -> list[tuple[float, float, float]]:
    """travel_modes as distance bands (lo, hi, speed): `travel` picks mode i for lo < d ≤ hi (the
    first band starts at 0; the last mode also takes every distance beyond all max_m)."""
    modes = conf.travel_modes()
    out, lo = [], 0.0
    for i, mode in enumerate(modes):
        raw = None if i == len(modes) - 1 else mode.get("max_m")
        hi = math.inf if raw is None else float(raw)
        if hi > lo or (i == 0 and hi >= lo):
            out.append((lo, hi, float(mode["speed_mps"])))
        lo = max(lo, hi)
        if lo == math.inf:
            break
    return out


def eta_lower_bound(distance_m: float) -> int:
    """Nobody farther than `distance_m` has a smaller `eta_s` than this (ETA is not monotone in
    distance: just past a mode's max_m the next, faster mode starts)."""
    best = math.inf
    for lo, hi, speed in _bands():
        if hi > distance_m:
            best = min(best, math.ceil(max(distance_m, lo) / speed))
    return int(best) if best != math.inf else 2**31


def _settled(pool: list[Volunteer], covered_m: float, need: int) -> bool:
    """Are the best `need` of `pool` (everyone within covered_m) the best `need` overall?"""
    if len(pool) < need:
        return False
    keys = sorted((travel(v.distance_m)[1], round(v.distance_m, 1), v.user_id) for v in pool)
    eta, distance, _user = keys[need - 1]
    bound = eta_lower_bound(covered_m)
    # Someone unseen is farther than covered_m, so on an ETA tie they rank after a nearer one.
    return eta < bound or (eta == bound and distance < round(covered_m, 1))


def _volunteer_rows(hazard: Hazard, radius_m: float, skill: str | None, exclude: set[int], now, cap: int | None):
    queryset = candidate_queryset(
        latitude=hazard.latitude,
        longitude=hazard.longitude,
        radius_m=radius_m,
        skill_slug=skill,
        exclude_user_ids=exclude,
        now=now,
    )
    busy = (
        Task.objects.filter(assignee_id=OuterRef("user_id"), status__in=BUSY_TASK_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    queryset = queryset.annotate(active_tasks=Coalesce(Subquery(busy, output_field=IntegerField()), 0)).filter(
        active_tasks__lt=F("max_active_tasks")
    )
    if cap is not None:
        queryset = queryset.alias(_planar=planar_distance_sq_sql(hazard.latitude, hazard.longitude)).order_by(
            "_planar", "id"
        )[:cap]
    rows = list(queryset)
    for volunteer in rows:
        volunteer.distance_m = haversine_m(hazard.latitude, hazard.longitude, volunteer.latitude, volunteer.longitude)
    return rows


def volunteer_pool(hazard: Hazard, *, skill: str | None, exclude: set[int], now, need: int | None) -> list[Volunteer]:
    """Volunteers who may be offered `hazard` (free, skilled, fresh, in the radius, not excluded),
    each with `distance_m` and `active_tasks`; with `need`, a subset that surely holds the best
    `need` by ETA (see the module docstring), found by growing rings."""
    radius = conf.candidate_radius_m()
    if need is not None and need <= 0:
        return []
    if need is None:
        return [v for v in _volunteer_rows(hazard, radius, skill, exclude, now, None) if v.distance_m <= radius]
    ring, cap = min(FIRST_RING_M, radius), max(4 * need, MIN_BATCH)
    while True:
        rows = _volunteer_rows(hazard, ring, skill, exclude, now, cap)
        covered = ring  # the ring's box holds its circle: everyone within `ring` was a row ...
        if len(rows) >= cap:  # ... unless the LIMIT cut: then only up to the last row's distance
            last = rows[-1]
            covered = min(
                ring, planar_distance_m(hazard.latitude, hazard.longitude, last.latitude, last.longitude) * PLANAR_SLACK
            )
            cap *= 4
        covered = min(covered, radius)
        pool = [v for v in rows if v.distance_m <= covered]
        if covered >= radius or _settled(pool, covered, need):
            return pool
        # Grow by the density seen (aiming at twice what is wanted), between ×1.5 and ×RING_GROWTH.
        growth = math.sqrt(2 * need / len(pool)) if pool else RING_GROWTH
        ring = min(radius, ring * min(RING_GROWTH, max(1.5, growth)))


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
    duty = (
        {
            v.user_id: v
            for v in Volunteer.objects.filter(user_id__in=worker_ids, on_duty=True, status=VolunteerStatus.APPROVED)
            if v.position_fresh(now)
        }
        if worker_ids
        else {}
    )
    skill = str(hazard.category.required_skill_id) if hazard.category.required_skill_id else None  # by id: no join
    volunteers = volunteer_pool(hazard, skill=skill, exclude=excluded | set(worker_ids), now=now, need=limit)
    counts = busy_counts(worker_ids)

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
            distance, source = (
                haversine_m(hazard.latitude, hazard.longitude, profile.latitude, profile.longitude),
                "duty",
            )
        else:
            distance = haversine_m(hazard.latitude, hazard.longitude, grid.center_latitude, grid.center_longitude)
            source = "grid_centre"
        mode, eta = travel(distance)
        ranked.append(
            Candidate(
                worker.pk,
                _display(worker),
                AssigneeKind.GRID_WORKER,
                round(distance, 1),
                eta,
                mode,
                source,
                active,
                limit_for,
            )
        )
    for volunteer in volunteers:
        active = volunteer.active_tasks  # below the limit: the query keeps only those
        mode, eta = travel(volunteer.distance_m)
        team = {"id": volunteer.team.pk, "name": volunteer.team.name} if volunteer.team_id else None
        ranked.append(
            Candidate(
                volunteer.user_id,
                _display(volunteer.user),
                AssigneeKind.VOLUNTEER,
                round(volunteer.distance_m, 1),
                eta,
                mode,
                "duty",
                active,
                volunteer.max_active_tasks,
                team,
            )
        )
    ranked.sort(key=lambda c: (c.eta_s, c.distance_m, c.user_id))
    return ranked[:limit] if limit is not None else ranked
