"""The board's search: hazards of any status by tracking code, address or description (`q`), and
filters by status, category, severity and grid — GET parameters, so the form works without
JavaScript and a search can be bookmarked or sent to a colleague.

The filters are the hazard list's own (hazards.reports.filters.HazardFilter: one value or a comma
list each, a bad value is an error naming the parameter); `q` matches a tracking code exactly
(any case) or a part of the address or description. Three queries whatever the number of hazards:
the categories for the form, the count, the first SEARCH_LIMIT matches newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from hazards.models import Category, Hazard
from hazards.reports.filters import HazardFilter

SEARCH_LIMIT = 50
Q_MAX_LENGTH = 100
FILTERS = ("status", "category", "severity", "grid")
PARAMS = ("q",) + FILTERS


@dataclass
class Search:
    values: dict[str, str]  # what the form shows again
    categories: list[Category]
    active: bool = False  # any parameter given
    hazards: list[Hazard] = field(default_factory=list)
    total: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # parameter → sentence

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.hazards))


def board_search(params, *, limit: int = SEARCH_LIMIT) -> Search:
    values = {name: (params.get(name) or "").strip() for name in PARAMS}
    categories = list(Category.objects.filter(active=True).order_by("sort_order", "id").only("slug", "name", "name_en"))
    search = Search(values=values, categories=categories, active=any(values.values()))
    if not search.active:
        return search
    text = values["q"]
    if len(text) > Q_MAX_LENGTH:
        search.errors["q"] = _("Search for at most %(n)d characters.") % {"n": Q_MAX_LENGTH}
    filterset = HazardFilter({k: values[k] for k in FILTERS if values[k]}, queryset=Hazard.objects.all())
    if not filterset.is_valid():
        for name, errors in filterset.errors.items():
            search.errors[name] = " ".join(str(e) for e in errors)
    if search.errors:
        return search
    found = filterset.qs
    if text:
        found = found.filter(
            Q(tracking_code__iexact=text) | Q(address__icontains=text) | Q(description__icontains=text)
        )
    search.total = found.count()
    search.hazards = list(found.select_related("category", "grid", "community").order_by("-created_at", "-id")[:limit])
    return search
