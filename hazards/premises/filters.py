"""Filters of the premises list, shared by GET /api/v1/premises/ and the /premises/ page.

grid: one grid id or a comma list; type: one type slug or a comma list; street: the exact street
(case-insensitive); q: a word in the name, code, address or responsible person's name;
active: true/false; has_open_hazards: true/false.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govern.api_filters import CommaIntFilter, CommaSlugFilter
from hazards.premises.models import Premises


class PremisesFilter(django_filters.FilterSet):
    grid = CommaIntFilter(field_name="grid_id", help_text="grid id, or a comma-separated list of ids")
    type = CommaSlugFilter(
        field_name="type__slug",
        help_text="premises type slug (restaurant, shop, workshop, enterprise…), or a comma list",
    )
    street = django_filters.CharFilter(
        field_name="street", lookup_expr="iexact", max_length=80, help_text="the exact street"
    )
    q = django_filters.CharFilter(
        method="search",
        max_length=100,
        label=_("search"),
        help_text="a word in the name, register code, address or responsible person",
    )
    active = django_filters.BooleanFilter(field_name="active")
    has_open_hazards = django_filters.BooleanFilter(
        method="filter_open", help_text="only premises with (true) or without (false) open hazards"
    )

    class Meta:
        model = Premises
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(code__icontains=value)
            | Q(address__icontains=value)
            | Q(responsible_name__icontains=value)
        )

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(open_hazards__gt=0) if value else queryset.filter(open_hazards=0)
