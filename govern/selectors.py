"""Kernel read queries: grids and communities."""

from __future__ import annotations

from django.db.models import QuerySet

from govern.geo import polygon_covers
from govern.models import Community, Grid


def grid_list() -> QuerySet[Grid]:
    return Grid.objects.select_related("community").order_by("id")


def community_list() -> QuerySet[Community]:
    return Community.objects.order_by("id")


def grid_for_point(latitude: float, longitude: float) -> Grid | None:
    """The grid containing the point (edges included), or None when it lies outside every grid.

    Index-backed: SQL narrows to grids whose bounding box holds the point, shapely decides.
    Where two grids share an edge, the one with the lower id wins, so the answer is stable.
    """
    candidates = (
        Grid.objects.select_related("community")
        .filter(
            min_latitude__lte=latitude,
            max_latitude__gte=latitude,
            min_longitude__lte=longitude,
            max_longitude__gte=longitude,
        )
        .order_by("id")
    )
    for grid in candidates:
        if polygon_covers(grid.boundary, latitude, longitude):
            return grid
    return None
