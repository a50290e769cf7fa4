"""Reads of hazard reports: permission-scoped, N+1-free querysets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import NotFound
from govern.geo import bbox_around, haversine_m, planar_distance_sq_sql
from govern.roles import is_dispatcher
from hazards import conf
from hazards.core.policy import owned_grid_ids
from hazards.models import OPEN_STATUSES, Category, Hazard, HazardEvent, HazardPhoto, TriageSuggestion
from hazards.reports.tracking import looks_like_tracking_code, normalise_tracking_code

# Open reports nearby that a new report shows and records as possible duplicates, at most.
NEARBY_LIMIT = 10


def category_list(*, include_inactive: bool = False) -> QuerySet[Category]:
    qs = Category.objects.select_related("required_skill").order_by("sort_order", "id")
    return qs if include_inactive else qs.filter(active=True)


def _photos_prefetch() -> Prefetch:
    return Prefetch("photos", queryset=HazardPhoto.objects.order_by("position", "id"))


def hazard_visible(*, user) -> QuerySet[Hazard]:
    """Every hazard this user may see in lists: dispatchers all, grid workers their grids, anyone their own."""
    qs = Hazard.objects.all()
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_dispatcher(user):
        return qs
    grids = owned_grid_ids(user)
    scope = Q(reporter_id=user.pk)
    if grids:
        scope |= Q(grid_id__in=sorted(grids))
    return qs.filter(scope)


def hazard_list(*, user) -> QuerySet[Hazard]:
    return (
        hazard_visible(user=user)
        .select_related("category", "grid", "community", "reporter", "duplicate_of")
        .prefetch_related(_photos_prefetch())
        .order_by("-created_at", "-id")
    )


def hazard_get(*, user, hazard_id: int) -> Hazard:
    """One hazard with its timeline, photos, suggestions and duplicates; 404 when not visible."""
    hazard = (
        hazard_visible(user=user)
        .select_related("category", "grid", "community", "reporter", "duplicate_of", "api_client")
        .prefetch_related(
            _photos_prefetch(),
            Prefetch("events", queryset=HazardEvent.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch(
                "suggestions",
                queryset=TriageSuggestion.objects.select_related("suggested_category", "similar_hazard").order_by("id"),
            ),
            Prefetch("duplicates", queryset=Hazard.objects.only("id", "tracking_code", "status", "duplicate_of_id")),
        )
        .filter(pk=hazard_id)
        .first()
    )
    if hazard is None:
        raise NotFound(_("No hazard with this id is visible to you."))
    return hazard


def hazard_track(*, tracking_code: str) -> Hazard:
    """The public view of one hazard by its tracking code (the code is the capability)."""
    code = normalise_tracking_code(tracking_code)
    if not looks_like_tracking_code(code):
        raise NotFound(_("No hazard has this tracking code."))
    hazard = (
        Hazard.objects.select_related("category", "grid", "community", "duplicate_of", "duplicate_of__category")
        .prefetch_related(
            _photos_prefetch(),
            Prefetch("events", queryset=HazardEvent.objects.order_by("created_at", "id")),
        )
        .filter(tracking_code=code)
        .first()
    )
    if hazard is None:
        raise NotFound(_("No hazard has this tracking code."))
    return hazard


@dataclass(frozen=True)
class NearbyHazard:
    id: int
    tracking_code: str
    status: str
    created_at: datetime
    distance_m: float


def hazard_nearby_open(
    *,
    category_id: int,
    latitude: float,
    longitude: float,
    exclude_id: int | None = None,
    radius_m: float | None = None,
    window_hours: int | None = None,
) -> list[NearbyHazard]:
    """Open hazards of a category near a point, reported recently, nearest first.

    The bounding box narrows on the indexed (latitude, longitude) columns and the database
    returns only the nearest few (ordered by planar distance, which ranks like the great-circle
    one at this range), so a cluster of reports at one spot (a fire reported by a crowd) costs
    ten rows, not every report in the box; haversine decides the radius.
    """
    radius_m = conf.duplicate_radius_m() if radius_m is None else radius_m
    window_hours = conf.duplicate_window_hours() if window_hours is None else window_hours
    box = bbox_around(latitude, longitude, radius_m)
    rows = (
        Hazard.objects.filter(
            latitude__gte=box.min_lat,
            latitude__lte=box.max_lat,
            longitude__gte=box.min_lng,
            longitude__lte=box.max_lng,
            category_id=category_id,
            status__in=sorted(OPEN_STATUSES),
            created_at__gte=timezone.now() - timedelta(hours=window_hours),
        )
        .exclude(pk=exclude_id)
        .annotate(planar_sq=planar_distance_sq_sql(latitude, longitude))
        .order_by("planar_sq", "-id")
        # Twice the answer's size: a row at the radius's edge may fall out to haversine.
        .values_list("id", "tracking_code", "status", "created_at", "latitude", "longitude")[: 2 * NEARBY_LIMIT]
    )
    found = []
    for pk, code, status, created_at, lat, lng in rows:
        distance = haversine_m(latitude, longitude, lat, lng)
        if distance <= radius_m:
            found.append(NearbyHazard(pk, code, status, created_at, distance))
    found.sort(key=lambda item: (item.distance_m, -item.id))
    return found[:NEARBY_LIMIT]


def hazard_public_open(*, limit: int | None = None) -> QuerySet[Hazard]:
    """Open hazards for the public map: no reporter, no contact (the serializer rounds locations)."""
    limit = conf.public_map_limit() if limit is None else limit
    return (
        Hazard.objects.filter(status__in=sorted(OPEN_STATUSES))
        .select_related("category", "community")
        .only(
            "id",
            "status",
            "severity",
            "latitude",
            "longitude",
            "created_at",
            "status_changed_at",
            "category__slug",
            "category__name",
            "category__name_en",
            "category__icon",
            "community__name",
        )
        .order_by("-created_at", "-id")[:limit]
    )


def hazard_of_reporter(*, user) -> QuerySet[Hazard]:
    """ "My reports": the user's own reports, with the original a duplicate was merged into."""
    return (
        Hazard.objects.filter(reporter_id=user.pk)
        .select_related("category", "grid", "community", "duplicate_of")
        .prefetch_related(_photos_prefetch())
        .order_by("-created_at", "-id")
    )
