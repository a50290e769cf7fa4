"""Kernel writes: grids and accounts. Every state change lives in a function like these."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from govern.geo import polygon_from_geojson
from govern.models import Community, Grid, User
from govern.roles import RESIDENT


def _bbox_fields(boundary: dict) -> dict:
    polygon = polygon_from_geojson(boundary)
    min_lng, min_lat, max_lng, max_lat = polygon.bounds
    center = polygon.representative_point() if not polygon.contains(polygon.centroid) else polygon.centroid
    return {
        "min_latitude": min_lat,
        "max_latitude": max_lat,
        "min_longitude": min_lng,
        "max_longitude": max_lng,
        "center_latitude": center.y,
        "center_longitude": center.x,
    }


@transaction.atomic
def grid_save(
    *,
    community: Community,
    code: str,
    name: str,
    boundary: dict,
    workers: Iterable[User] | None = None,
    grid: Grid | None = None,
) -> Grid:
    """Create or update a grid, recomputing its cached bounding box and centre from the boundary."""
    fields = {"community": community, "code": code, "name": name, "boundary": boundary, **_bbox_fields(boundary)}
    if grid is None:
        grid = Grid.objects.create(**fields)
    else:
        for key, value in fields.items():
            setattr(grid, key, value)
        grid.save()
    if workers is not None:
        grid.workers.set(workers)
    return grid


@transaction.atomic
def user_register(
    *, username: str, password: str, phone: str = "", email: str = "", roles: Iterable[str] = (RESIDENT,)
) -> User:
    """Create an account with the given roles (resident by default)."""
    user = User.objects.create_user(username=username, password=password, phone=phone, email=email)
    user.groups.add(*Group.objects.filter(name__in=list(roles)))
    return user
