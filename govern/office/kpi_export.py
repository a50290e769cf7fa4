"""The dashboard's figures as CSV: one row for the district, each community and each grid, the
same numbers as the dashboard table (govern.office.selectors.kpis) over the same `?from=&to=`.

Rates are fractions (0–1, four decimals) and durations seconds, so a spreadsheet can compute with
them; an empty cell is "no value" (no base to divide by, or a figure a grid has none of).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from govern.office.selectors.kpis import Kpis, ScopeRow

HEADER = [
    "scope",
    "id",
    "area",
    "community",
    "from",
    "to",
    "reported",
    "triaged",
    "rectified",
    "verified",
    "rectification_rate",
    "accept_median_s",
    "accept_p90_s",
    "rectify_median_s",
    "rectify_p90_s",
    "overdue",
    "active_volunteers",
    "service_hours",
    "points_issued",
    "points_redeemed",
    "average_satisfaction",
    "confirmed_fixed",
    "confirmed_fixed_rate",
    "reopen_requests",
    "reopen_request_rate",
]

HEADER_LABELS = {
    "scope": _("level"),
    "id": _("number"),
    "area": _("area"),
    "community": _("community"),
    "from": _("period start"),
    "to": _("period end"),
    "reported": _("reported"),
    "triaged": _("triaged"),
    "rectified": _("rectified"),
    "verified": _("verified"),
    "rectification_rate": _("rectification rate"),
    "accept_median_s": _("time to accept, median (s)"),
    "accept_p90_s": _("time to accept, 90th percentile (s)"),
    "rectify_median_s": _("time to rectify, median (s)"),
    "rectify_p90_s": _("time to rectify, 90th percentile (s)"),
    "overdue": _("overdue tasks"),
    "active_volunteers": _("active volunteers"),
    "service_hours": _("service hours"),
    "points_issued": _("points issued"),
    "points_redeemed": _("points redeemed"),
    "average_satisfaction": _("average satisfaction (1–5)"),
    "confirmed_fixed": _("confirmed fixed"),
    "confirmed_fixed_rate": _("confirmed fixed rate"),
    "reopen_requests": _("reopen requests"),
    "reopen_request_rate": _("reopen request rate"),
}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _row(kpis: Kpis, row: ScopeRow) -> tuple:
    f = row.figures
    return (
        row.scope,
        row.id,
        row.name,
        row.community,
        kpis.period.first_day,
        kpis.period.last_day,
        f.reported,
        f.triaged,
        f.rectified,
        f.verified,
        _ratio(f.rate_done, f.rate_base),
        _seconds(f.median_accept_s),
        _seconds(f.p90_accept_s),
        _seconds(f.median_rectify_s),
        _seconds(f.p90_rectify_s),
        f.overdue,
        f.active_volunteers,
        f.service_hours,
        f.points_issued,
        f.points_redeemed,
        f.satisfaction,
        f.confirmed_fixed,
        _ratio(f.confirmed_fixed, f.rectified),
        f.reopen_requested,
        _ratio(f.reopen_requested, f.rectified),
    )


def kpi_rows(kpis: Kpis, ordered: list[ScopeRow]) -> list[tuple]:
    """`ordered`: the district, then each community followed by its grids (as the page shows)."""
    return [_row(kpis, row) for row in ordered]
