"""Geometry helpers: grid lookup by point, distances, bounding boxes.

Exact geometry is shapely's; SQL only prefilters on the grid's indexed bounding-box columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from shapely.geometry import Point, shape
from shapely.prepared import prep

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class BBox:
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float


def valid_coordinates(latitude: float, longitude: float) -> bool:
    return (
        isinstance(latitude, (int, float))
        and isinstance(longitude, (int, float))
        and math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90.0 <= latitude <= 90.0
        and -180.0 <= longitude <= 180.0
    )


def polygon_from_geojson(geojson: dict):
    """A shapely Polygon from a GeoJSON Polygon; raises ValueError with a sentence if invalid."""
    if not isinstance(geojson, dict) or geojson.get("type") != "Polygon":
        raise ValueError("boundary must be a GeoJSON Polygon")
    try:
        polygon = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed input
        raise ValueError(f"boundary is not a valid polygon: {exc}") from exc
    if polygon.is_empty or not polygon.is_valid:
        raise ValueError("boundary is not a valid polygon (empty or self-intersecting)")
    min_lng, min_lat, max_lng, max_lat = polygon.bounds
    if not (valid_coordinates(min_lat, min_lng) and valid_coordinates(max_lat, max_lng)):
        raise ValueError("boundary coordinates are out of range")
    return polygon


@lru_cache(maxsize=4096)
def _prepared(boundary_key: str):
    import json

    return prep(shape(json.loads(boundary_key)))


def polygon_covers(boundary: dict, latitude: float, longitude: float) -> bool:
    """True when the point is inside the polygon or on its edge (a boundary point belongs)."""
    import json

    key = json.dumps(boundary, sort_keys=True, separators=(",", ":"))
    return _prepared(key).covers(Point(longitude, latitude))


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def planar_scale(latitude: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude near `latitude` (equirectangular projection)."""
    ky = math.radians(1.0) * EARTH_RADIUS_M
    return ky * max(math.cos(math.radians(latitude)), 1e-6), ky


def planar_distance_sq_sql(
    latitude: float, longitude: float, *, lat_field: str = "latitude", lng_field: str = "longitude"
):
    """Squared equirectangular distance in m² from (latitude, longitude) as a SQL expression.

    Plain arithmetic (runs the same on SQLite and PostgreSQL, no functions), so it can be ordered
    by with a LIMIT: within a few km it ranks like the great-circle distance, and its square root
    differs from `haversine_m` by well under 1 % (callers that need exact bounds allow for that).
    """
    from django.db.models import ExpressionWrapper, F, FloatField, Value

    kx, ky = planar_scale(latitude)
    dx = (F(lng_field) - Value(float(longitude), output_field=FloatField())) * Value(kx, output_field=FloatField())
    dy = (F(lat_field) - Value(float(latitude), output_field=FloatField())) * Value(ky, output_field=FloatField())
    return ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())


def planar_distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The Python twin of `planar_distance_sq_sql` (square root taken), scaled at lat1."""
    kx, ky = planar_scale(lat1)
    return math.hypot((lng2 - lng1) * kx, (lat2 - lat1) * ky)


def bbox_around(latitude: float, longitude: float, radius_m: float) -> BBox:
    """A bounding box that contains the circle: for index-backed prefiltering of `near` queries."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(math.cos(math.radians(latitude)), 1e-6)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * coslat))
    return BBox(
        min_lng=max(-180.0, longitude - dlng),
        min_lat=max(-90.0, latitude - dlat),
        max_lng=min(180.0, longitude + dlng),
        max_lat=min(90.0, latitude + dlat),
    )


def parse_bbox(raw: str) -> BBox:
    """`min_lng,min_lat,max_lng,max_lat` -> BBox, or ValueError with a sentence."""
    parts = [p.strip() for p in str(raw).split(",")]
    if len(parts) != 4:
        raise ValueError("bbox must be four numbers: min_lng,min_lat,max_lng,max_lat")
    try:
        min_lng, min_lat, max_lng, max_lat = (float(p) for p in parts)
    except ValueError as exc:
        raise ValueError("bbox must be four numbers: min_lng,min_lat,max_lng,max_lat") from exc
    if not (valid_coordinates(min_lat, min_lng) and valid_coordinates(max_lat, max_lng)):
        raise ValueError("bbox coordinates are out of range")
    if min_lat > max_lat or min_lng > max_lng:
        raise ValueError("bbox minimums must not exceed maximums")
    return BBox(min_lng=min_lng, min_lat=min_lat, max_lng=max_lng, max_lat=max_lat)


def parse_point(raw: str) -> tuple[float, float]:
    """`lat,lng` -> (lat, lng), or ValueError with a sentence."""
    parts = [p.strip() for p in str(raw).split(",")]
    if len(parts) != 2:
        raise ValueError("near must be two numbers: latitude,longitude")
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise ValueError("near must be two numbers: latitude,longitude") from exc
    if not valid_coordinates(latitude, longitude):
        raise ValueError("near coordinates are out of range")
    return latitude, longitude
