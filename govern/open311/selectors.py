"""Reads behind /open311/v2/: services and service requests, each a constant number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from hazards.models import FINAL_STATUSES, OPEN_STATUSES, Category, Hazard, HazardPhoto, TriageRule


def service_list() -> list[Category]:
    return list(Category.objects.filter(active=True).order_by("sort_order", "id"))


def service_get(code: str) -> Category | None:
    return Category.objects.filter(slug=code, active=True).first()


def service_keywords() -> dict[int, list[str]]:
    """Category id → the keywords of the active triage rules that suggest it (one query)."""
    found: dict[int, list[str]] = {}
    for rule in TriageRule.objects.filter(active=True, suggest_category__isnull=False).order_by("priority", "id"):
        found.setdefault(rule.suggest_category_id, []).extend(rule.keyword_list())
    return found


def _requests_base() -> QuerySet[Hazard]:
    return (
        Hazard.objects.select_related("category", "grid", "community")
        .prefetch_related(Prefetch("photos", queryset=HazardPhoto.objects.order_by("position", "id")))
        .order_by("-created_at", "-id")
    )


def request_list(
    *,
    ids: Sequence[int] | None = None,
    category_ids: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] = (),
    offset: int = 0,
    limit: int = 1000,
) -> list[Hazard]:
    """Hazards as service requests, newest first. `ids` (when given) overrides every other filter."""
    qs = _requests_base()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    else:
        if category_ids is not None:
            qs = qs.filter(category_id__in=list(category_ids))
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        if statuses and set(statuses) != {"open", "closed"}:
            wanted = OPEN_STATUSES if "open" in statuses else FINAL_STATUSES
            qs = qs.filter(status__in=sorted(wanted))
    return list(qs[offset : offset + limit])


def request_get(request_id: int) -> Hazard | None:
    return _requests_base().filter(pk=request_id).first()
