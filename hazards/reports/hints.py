"""What a reporter learns about other people's reports: the duplicate hints of a new report and
the "similar report" suggestions on their report.

Category, status and a rough distance (rounded to HINT_DISTANCE_STEP_M) say "someone already
reported this"; another person's tracking code (which opens their report's page) or an exact
distance (which, from a few points, gives their exact location) would say far more (issue 21).
Dispatchers see everything; a grid worker sees what they may open anyway (their grid's reports).
"""

from __future__ import annotations

from govern.roles import is_dispatcher
from hazards.core import policy

HINT_DISTANCE_STEP_M = 10


def rough_m(distance_m: float | None) -> float | None:
    if distance_m is None:
        return None
    return float(max(HINT_DISTANCE_STEP_M, round(distance_m / HINT_DISTANCE_STEP_M) * HINT_DISTANCE_STEP_M))


def sees_others(viewer, hazard) -> bool:
    """May `viewer` see `hazard`'s code and exact distance? (dispatchers, or whoever may open it)."""
    return viewer is not None and (is_dispatcher(viewer) or policy.can_view(viewer, hazard))


def duplicate_hints(duplicates, *, viewer, category_slug: str) -> list[dict]:
    """The create answer's `duplicates`: id and tracking_code only for those who may open the other
    report (else null), the distance rounded for everyone else."""
    from hazards.models import Hazard

    visible = set()
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        others = Hazard.objects.filter(pk__in=[d.id for d in duplicates]).only("pk", "grid_id", "reporter_id")
        visible = {h.pk for h in others if sees_others(viewer, h)}
    hints = []
    for hint in duplicates:
        shown = hint.id in visible
        hints.append(
            {
                "id": hint.id if shown else None,
                "tracking_code": hint.tracking_code if shown else None,
                "category": category_slug,
                "status": hint.status,
                "distance_m": hint.distance_m if shown else rough_m(hint.distance_m),
                "created_at": hint.created_at,
            }
        )
    return hints
