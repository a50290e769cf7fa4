"""The hazard list filters, shared by GET /api/v1/hazards/, /api/v1/hazards.geojson and the office.

status, category, grid, community, severity take one value or a comma list; created_after /
created_before take ISO 8601 dates or date-times; bbox=min_lng,min_lat,max_lng,max_lat;
near=lat,lng with radius_m (metres, default 500). Location filters narrow on the indexed
latitude/longitude columns; `near` then keeps the exact circle with an equirectangular distance
computed in SQL (plain arithmetic, so it runs the same on SQLite and PostgreSQL; the error is far
below a metre at these radii) and orders nearest first.
"""

from __future__ import annotations

import math

import django_filters
from django import forms
from django.db.models import ExpressionWrapper, F, FloatField, Value
from django.utils.translation import gettext_lazy as _

from govern.api_filters import (
    BBoxFilter,
    CommaChoiceFilter,
    CommaIntFilter,
    CommaSlugFilter,
    IsoDateTimeFilter,
    PointFilter,
    StrictBooleanFilter,
)
from govern.geo import bbox_around
from hazards import conf
from hazards.models import OPEN_STATUSES, Hazard, Severity, Status

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LNG_AT_EQUATOR = 111_320.0
DEFAULT_RADIUS_M = 500.0
NEAR_RING_FACTOR = 4.0
NEAR_MIN_RING_M = 20.0


class HazardFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        radius = cleaned.get("radius_m")
        if radius is not None and not cleaned.get("near") and "near" not in self.errors:
            self.add_error("radius_m", _("radius_m needs near=lat,lng."))
        if radius is not None and not (0 < radius <= conf.near_max_radius_m()):
            self.add_error(
                "radius_m",
                _("radius_m must be more than 0 and at most %(max)d metres.") % {"max": conf.near_max_radius_m()},
            )
        after, before = cleaned.get("created_after"), cleaned.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", _("created_before must not be earlier than created_after."))
        return cleaned


class HazardFilter(django_filters.FilterSet):
    status = CommaChoiceFilter(
        field_name="status",
        values=Status.values,
        help_text="one or more of: " + ", ".join(Status.values) + " (comma-separated)",
    )
    open = StrictBooleanFilter(method="filter_open", help_text="true: only open hazards; false: only final ones")
    category = CommaSlugFilter(field_name="category__slug", help_text="category slug(s), comma-separated")
    grid = CommaIntFilter(field_name="grid_id", help_text="grid id(s), comma-separated")
    community = CommaIntFilter(field_name="community_id", help_text="community id(s), comma-separated")
    severity = CommaChoiceFilter(
        field_name="severity",
        values=Severity.values,
        help_text="one or more of: low, medium, high, critical (comma-separated)",
    )
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive")
    bbox = BBoxFilter(method="filter_bbox", help_text="min_lng,min_lat,max_lng,max_lat")
    near = PointFilter(method="filter_near", help_text="lat,lng; with radius_m")
    radius_m = django_filters.NumberFilter(
        method="filter_noop", help_text=f"metres around near (default {DEFAULT_RADIUS_M:.0f})"
    )

    class Meta:
        model = Hazard
        fields: list[str] = []
        form = HazardFilterForm

    def filter_noop(self, qs, name, value):
        return qs

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        statuses = sorted(OPEN_STATUSES) if value else sorted(set(Status.values) - OPEN_STATUSES)
        return qs.filter(status__in=statuses)

    def filter_bbox(self, qs, name, box):
        if box is None:
            return qs
        return qs.filter(
            latitude__gte=box.min_lat, latitude__lte=box.max_lat, longitude__gte=box.min_lng, longitude__lte=box.max_lng
        )

    def filter_near(self, qs, name, point):
        if point is None:
            return qs
        latitude, longitude = point
        radius = float(self.form.cleaned_data.get("radius_m") or DEFAULT_RADIUS_M)
        kx = METRES_PER_DEGREE_LNG_AT_EQUATOR * math.cos(math.radians(latitude))
        ky = METRES_PER_DEGREE_LAT
        dx = (F("longitude") - Value(longitude, output_field=FloatField())) * Value(kx, output_field=FloatField())
        dy = (F("latitude") - Value(latitude, output_field=FloatField())) * Value(ky, output_field=FloatField())
        distance_sq = ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())

        def circle(r: float):
            box = bbox_around(latitude, longitude, r)
            return (
                qs.filter(
                    latitude__gte=box.min_lat,
                    latitude__lte=box.max_lat,
                    longitude__gte=box.min_lng,
                    longitude__lte=box.max_lng,
                )
                .annotate(distance_sq=distance_sq)
                .filter(distance_sq__lte=r * r)
                .order_by("distance_sq", "-id")
            )

        result = circle(radius)
        # For the paginator (govern.pagination.CappedCountPaginator): smaller circles first. When a
        # smaller circle holds a whole page, that page is the full circle's page too (everything
        # outside it is farther), and reading it touched only that circle's rows, not the radius's.
        rings, r = [], radius / NEAR_RING_FACTOR
        while r >= NEAR_MIN_RING_M:
            rings.insert(0, r)
            r /= NEAR_RING_FACTOR
        result.page_narrowings = [circle(ring) for ring in rings]
        return result
