"""Reads of the volunteers app: permission-scoped, N+1 free, index-backed where they must scale.

Other apps use two of these: `volunteer_candidates` (dispatch ranks responders) and
`volunteer_for_user_id` (is this assignee a volunteer?).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from enum import StrEnum

from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import ASin, Coalesce, Cos, Least, Power, Radians, Sin, Sqrt
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import NotFound, PermissionDenied
from govern.geo import EARTH_RADIUS_M, bbox_around, haversine_m
from govern.models import User
from govern.roles import is_dispatcher
from volunteers import conf
from volunteers.models import (
    REVIEWABLE_SKILL,
    ServiceRecord,
    ServiceRecordStatus,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
    VolunteerStatusChange,
)


class Visibility(StrEnum):
    """How much of a volunteer a viewer may see (drives the serializer / template choice)."""

    DISPATCHER = "dispatcher"  # everything, positions included
    OWNER = "owner"  # own profile: full phone, no coordinates (positions are for dispatchers only)
    MEMBER = "member"  # a teammate: masked phone, no position


def visibility(viewer: User | None, volunteer: Volunteer) -> Visibility | None:
    if viewer is None or not viewer.is_authenticated:
        return None
    if is_dispatcher(viewer):
        return Visibility.DISPATCHER
    if viewer.pk == volunteer.user_id:
        return Visibility.OWNER
    viewer_profile = getattr(viewer, "_volunteer_profile", None)
    if viewer_profile is None:
        viewer_profile = Volunteer.objects.filter(user_id=viewer.pk).only("team_id", "status").first()
    if (
        viewer_profile is not None
        and viewer_profile.status == VolunteerStatus.APPROVED
        and volunteer.team_id is not None
        and viewer_profile.team_id == volunteer.team_id
    ):
        return Visibility.MEMBER
    return None


def _skill_links() -> Prefetch:
    return Prefetch("skill_links", queryset=VolunteerSkill.objects.select_related("skill").order_by("skill_id"))


def volunteer_queryset() -> QuerySet[Volunteer]:
    """The base query every list uses: user, community, team and skills in a constant number of queries."""
    return Volunteer.objects.select_related("user", "community", "team").prefetch_related(
        _skill_links(), "availability"
    )


def volunteer_for_user(user: User | None) -> Volunteer | None:
    if user is None or not user.is_authenticated:
        return None
    return volunteer_queryset().filter(user_id=user.pk).first()


def volunteer_for_user_id(user_id: int) -> Volunteer | None:
    """The profile of a user, or None (dispatch: only volunteers get service records)."""
    return Volunteer.objects.filter(user_id=user_id).first()


def volunteer_detail(*, viewer: User, volunteer_id: int) -> tuple[Volunteer, Visibility]:
    """One volunteer with their status history, and what the viewer may see (404 when nothing)."""
    volunteer = (
        volunteer_queryset()
        .prefetch_related(Prefetch("status_changes", queryset=VolunteerStatusChange.objects.select_related("actor")))
        .filter(pk=volunteer_id)
        .first()
    )
    level = visibility(viewer, volunteer) if volunteer is not None else None
    if level is None:
        raise NotFound(_("No such volunteer."))
    return volunteer, level


def volunteer_list(*, viewer: User) -> QuerySet[Volunteer]:
    """Every volunteer, for dispatchers only (filters come from volunteers.filters)."""
    if not is_dispatcher(viewer):
        raise PermissionDenied(_("Only dispatchers can list volunteers."))
    return volunteer_queryset().order_by("id")


def pending_applications() -> QuerySet[Volunteer]:
    """The approval queue: oldest application first."""
    return volunteer_queryset().filter(status=VolunteerStatus.PENDING).order_by("applied_at", "id")


def with_valid_skill(queryset: QuerySet[Volunteer], skill: str, *, today: dt.date | None = None) -> QuerySet[Volunteer]:
    """Volunteers holding `skill` (a slug, or an id), reviewed by a dispatcher (a licensed skill
    with its certificate photo), with no certificate expiry or one not yet passed."""
    today = today or timezone.localdate()
    links = VolunteerSkill.objects.filter(REVIEWABLE_SKILL, volunteer=OuterRef("pk"), reviewed_at__isnull=False).filter(
        Q(certified_until__isnull=True) | Q(certified_until__gte=today)
    )
    links = links.filter(skill_id=int(skill)) if str(skill).isdigit() else links.filter(skill__slug=skill)
    return queryset.filter(Exists(links))


def within_bbox(
    queryset: QuerySet[Volunteer], latitude: float, longitude: float, radius_m: float
) -> QuerySet[Volunteer]:
    """The index-backed prefilter: on duty (the partial index's condition) and inside the box
    around the circle. Positions exist only while on duty, so nothing else has coordinates."""
    box = bbox_around(latitude, longitude, radius_m)
    return queryset.filter(
        on_duty=True,
        latitude__gte=box.min_lat,
        latitude__lte=box.max_lat,
        longitude__gte=box.min_lng,
        longitude__lte=box.max_lng,
    )


def distance_expression(latitude: float, longitude: float):
    """Haversine distance in metres as SQL (Django provides the trigonometry on SQLite too)."""
    phi0 = math.radians(latitude)
    lat = Radians(F("latitude"))
    half_dphi = (lat - Value(phi0)) / Value(2.0)
    half_dlmb = (Radians(F("longitude")) - Value(math.radians(longitude))) / Value(2.0)
    a = Power(Sin(half_dphi), 2) + Value(math.cos(phi0)) * Cos(lat) * Power(Sin(half_dlmb), 2)
    return Value(2.0 * EARTH_RADIUS_M) * ASin(Sqrt(Least(a, Value(1.0), output_field=FloatField())))


def near(queryset: QuerySet[Volunteer], latitude: float, longitude: float, radius_m: float) -> QuerySet[Volunteer]:
    """On-duty volunteers within `radius_m`, nearest first, each annotated with `distance_m`."""
    return (
        within_bbox(queryset, latitude, longitude, radius_m)
        .alias(_distance=distance_expression(latitude, longitude))
        .filter(_distance__lte=radius_m)
        .annotate(distance_m=F("_distance"))
        .order_by("distance_m", "id")
    )


def candidate_queryset(
    *,
    latitude: float,
    longitude: float,
    radius_m: float,
    skill_slug: str | None = None,
    exclude_user_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> QuerySet[Volunteer]:
    """The SQL half of `volunteer_candidates`: the bounding box through the partial index, fresh,
    approved, not excluded, holding the skill. No distance yet."""
    now = now or timezone.now()
    # No `status` filter: the volunteer_on_duty_only_when_approved constraint makes on_duty imply
    # approved, and leaving it out keeps planners on the position index (not the status one).
    queryset = (
        within_bbox(Volunteer.objects.select_related("user", "team"), latitude, longitude, radius_m)
        .filter(position_updated_at__gte=now - conf.position_max_age())
        .order_by()
    )
    excluded = [int(uid) for uid in exclude_user_ids]
    if excluded:
        queryset = queryset.exclude(user_id__in=excluded)
    if skill_slug:
        queryset = with_valid_skill(queryset, skill_slug, today=timezone.localdate(now))
    return queryset


def volunteer_candidates(
    *,
    latitude: float,
    longitude: float,
    radius_m: float,
    skill_slug: str | None = None,
    exclude_user_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> list[Volunteer]:
    """Who dispatch may offer a task to: approved, on duty, with a position younger than
    VOLUNTEER_POSITION_MAX_AGE (at `now`), within `radius_m`, holding `skill_slug` with a
    certificate that has not expired (when given), not in `exclude_user_ids`. Nearest first; each
    carries `distance_m` (float metres), `user`, `team` and `max_active_tasks` (dispatch subtracts
    the volunteer's open tasks itself). One query.

    Index-backed: SQL reads only the bounding box of the circle through the partial index on the
    positions of on-duty volunteers; the exact haversine distance is computed afterwards.
    """
    queryset = candidate_queryset(
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        skill_slug=skill_slug,
        exclude_user_ids=exclude_user_ids,
        now=now,
    )
    ranked = []
    for volunteer in queryset:
        volunteer.distance_m = haversine_m(latitude, longitude, volunteer.latitude, volunteer.longitude)
        if volunteer.distance_m <= radius_m:
            ranked.append(volunteer)
    ranked.sort(key=lambda v: (v.distance_m, v.pk))
    return ranked[:limit] if limit is not None else ranked


# --- teams ----------------------------------------------------------------------------------------


def team_list(*, community_id: int | None = None) -> QuerySet[Team]:
    """Teams with their member count and approved service minutes (one query)."""
    members = (
        Volunteer.objects.filter(team=OuterRef("pk"), status=VolunteerStatus.APPROVED)
        .order_by()
        .values("team")
        .annotate(n=Count("id"))
        .values("n")
    )
    minutes = (
        ServiceRecord.objects.filter(team=OuterRef("pk"), status=ServiceRecordStatus.APPROVED)
        .order_by()
        .values("team")
        .annotate(m=Sum("minutes"))
        .values("m")
    )
    queryset = Team.objects.select_related("community").annotate(
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
        service_minutes=Coalesce(Subquery(minutes, output_field=IntegerField()), 0),
    )
    if community_id:
        queryset = queryset.filter(community_id=community_id)
    return queryset.order_by("community_id", "name")


def team_get(team_id: int) -> Team:
    team = team_list().filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("No such team."))
    return team


def team_members(team: Team) -> QuerySet[Volunteer]:
    """Approved and suspended members (pending applicants are not members yet), leaders first."""
    return (
        volunteer_queryset()
        .filter(team=team, status__in=[VolunteerStatus.APPROVED, VolunteerStatus.SUSPENDED])
        .order_by("-is_team_leader", "-service_minutes", "id")
    )


def may_see_team_members(viewer: User | None, team: Team) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    if is_dispatcher(viewer):
        return True
    return Volunteer.objects.filter(user_id=viewer.pk, team_id=team.pk, status=VolunteerStatus.APPROVED).exists()


def team_leaders(team: Team) -> list[Volunteer]:
    return list(
        Volunteer.objects.filter(team=team, is_team_leader=True, status=VolunteerStatus.APPROVED).order_by("id")
    )


# --- service records ------------------------------------------------------------------------------


def _record_queryset() -> QuerySet[ServiceRecord]:
    return ServiceRecord.objects.select_related("volunteer", "volunteer__user", "team", "reviewed_by")


def service_records_of(volunteer: Volunteer) -> QuerySet[ServiceRecord]:
    return _record_queryset().filter(volunteer=volunteer).order_by("-served_on", "-id")


def service_records_for_review(
    *, viewer: User, status: str | None = ServiceRecordStatus.PENDING, team_id: int | None = None
) -> QuerySet[ServiceRecord]:
    """Manual entries the viewer may review: every team's for dispatchers, their own team's for an
    approved team leader; never the viewer's own entries."""
    queryset = _record_queryset().filter(source="manual").exclude(volunteer__user_id=viewer.pk)
    if not is_dispatcher(viewer):
        led = list(
            Volunteer.objects.filter(
                user_id=viewer.pk, is_team_leader=True, status=VolunteerStatus.APPROVED
            ).values_list("team_id", flat=True)
        )
        if not led:
            raise PermissionDenied(_("Only team leaders and dispatchers review service minutes."))
        queryset = queryset.filter(volunteer__team_id__in=led)
    if status:
        queryset = queryset.filter(status=status)
    if team_id:
        queryset = queryset.filter(volunteer__team_id=team_id)
    return queryset.order_by("created_at", "id")


def is_team_leader(user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Volunteer.objects.filter(user_id=user.pk, is_team_leader=True, status=VolunteerStatus.APPROVED).exists()


def approved_member(user_id: int):
    """An approved volunteer's standing for govern.membership (one query), or None."""
    from govern.membership import Member

    row = (
        Volunteer.objects.filter(user_id=user_id, status=VolunteerStatus.APPROVED)
        .values_list("team_id", "community_id", "service_minutes")
        .first()
    )
    return Member(*row) if row is not None else None
