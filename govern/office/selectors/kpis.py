"""Dashboard figures for the district, each community and each grid over a period.

Definitions (what the dashboard's legend says, and what tests/office/test_kpis.py checks):

- reported: hazards whose report time (`Hazard.created_at`) lies in the period.
- triaged / rectified / verified: hazards with a HazardEvent *to* that status in the period
  (each hazard counted once per status, however often it went there).
- rectification rate: of the hazards reported in the period and not rejected or merged as
  duplicates, the share rectified (any `→ rectified` event) before the period ended.
- time to rectify: for hazards first rectified in the period, first `→ rectified` event minus
  the report time. Median and 90th percentile by linear interpolation between closest ranks
  (PostgreSQL's `percentile_cont`, numpy's default).
- active volunteers / service hours: volunteers with approved service minutes served in the
  period, and those minutes; counted for the volunteer's community (service records name no
  grid, so grid rows leave them empty).
- points issued: earned points (ledger entries of kind `earn`) written in the period; points
  redeemed: points spent on coupons in the period minus refunds of cancelled/expired codes.
  District-wide only (the ledger names people, not places).
- residents' answers (FixFeedback, one per hazard, given on the tracking page): for the hazards
  rectified in the period (the "rectified" figure), the answers given before the period ended.
  Confirmed fixed: the share of those hazards the resident confirmed fixed; reopen-request rate:
  the share the resident said were not fixed; average satisfaction: the mean of the stars of the
  confirmed ones (1–5). The two shares need not add up to 100% (many residents never answer).

- time to accept: for every task accepted in the period (`Task.accepted_at` in it), accepted_at
  minus offered_at — each acceptance counts once, also one later given back or cancelled (the
  responder still answered the offer in that time). Median and 90th percentile as above.
- overdue: tasks whose due time (`Task.due_at`) lies in the period and that were late: flagged
  overdue by escalation, or completed after their due time (a fix finished late between two
  escalation runs is still late). Counted for the hazard's grid and community.

Every figure comes from a fixed number of grouped queries, whatever the number of hazards.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from govern.models import Community, Grid
from hazards.models import Category, FixFeedback, Hazard, HazardEvent, Status, Task
from rewards.models import EntryKind, PointsEntry
from volunteers.models import ServiceRecord, ServiceRecordStatus

DEFAULT_DAYS = 28
MAX_DAYS = 366 * 2
NOT_COUNTED_FOR_RATE = (Status.REJECTED, Status.DUPLICATE)


@dataclass(frozen=True)
class Period:
    """[start, end) in the site's time zone; `first_day`/`last_day` are the inclusive dates shown."""

    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _parse_day(raw: str, field_name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field=field_name)


def parse_period(params, *, today: date | None = None) -> Period:
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD` (both inclusive); default: the last 28 days up to today."""
    today = today or timezone.localdate()
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    last = _parse_day(raw_to, "to") if raw_to else today
    first = _parse_day(raw_from, "from") if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput(_("The period's start must not be after its end."), field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(_("A period may span at most %(days)d days.") % {"days": MAX_DAYS}, field="from")
    return Period(first, last)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (percentile_cont); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def duration_text(seconds: float | None) -> str:
    """35 min, 2 h 05 min, 3 d 4 h; an em dash for no value."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


def _percent(part: int, whole: int) -> str:
    return "—" if not whole else f"{part / whole * 100:.0f}%"


@dataclass
class Figures:
    reported: int = 0
    triaged: int = 0
    rectified: int = 0
    verified: int = 0
    rate_base: int = 0  # reported, not rejected / duplicate
    rate_done: int = 0  # of those, rectified before the period ended
    rectify_seconds: list[float] = field(default_factory=list)
    accept_seconds: list[float] = field(default_factory=list)
    overdue: int = 0
    active_volunteers: int | None = None
    service_minutes: int | None = None
    points_issued: int | None = None
    points_redeemed: int | None = None
    confirmed_fixed: int = 0  # of `rectified`, answered "fixed" by the resident
    reopen_requested: int = 0  # of `rectified`, answered "not fixed"
    stars_total: int = 0  # the stars of the confirmed ones

    @property
    def satisfaction(self) -> float | None:
        """Mean stars (1–5) of the confirmed fixes; None while none was rated."""
        return round(self.stars_total / self.confirmed_fixed, 1) if self.confirmed_fixed else None

    @property
    def confirmed_percent(self) -> str:
        return _percent(self.confirmed_fixed, self.rectified)

    @property
    def reopen_percent(self) -> str:
        return _percent(self.reopen_requested, self.rectified)

    @property
    def rectification_rate(self) -> float | None:
        return self.rate_done / self.rate_base if self.rate_base else None

    @property
    def median_rectify_s(self) -> float | None:
        return percentile(self.rectify_seconds, 0.5)

    @property
    def p90_rectify_s(self) -> float | None:
        return percentile(self.rectify_seconds, 0.9)

    @property
    def median_accept_s(self) -> float | None:
        return percentile(self.accept_seconds, 0.5)

    @property
    def p90_accept_s(self) -> float | None:
        return percentile(self.accept_seconds, 0.9)

    @property
    def median_accept_text(self) -> str:
        return duration_text(self.median_accept_s)

    @property
    def p90_accept_text(self) -> str:
        return duration_text(self.p90_accept_s)

    @property
    def median_rectify_text(self) -> str:
        return duration_text(self.median_rectify_s)

    @property
    def p90_rectify_text(self) -> str:
        return duration_text(self.p90_rectify_s)

    @property
    def rate_percent(self) -> str:
        rate = self.rectification_rate
        return "—" if rate is None else f"{rate * 100:.0f}%"

    @property
    def service_hours(self) -> float | None:
        return None if self.service_minutes is None else round(self.service_minutes / 60, 1)


@dataclass
class ScopeRow:
    scope: str  # district | community | grid
    id: int | None
    name: str
    community: str
    figures: Figures


@dataclass
class Kpis:
    period: Period
    district: ScopeRow
    communities: list[ScopeRow]
    grids: list[ScopeRow]


def kpis(*, period: Period) -> Kpis:
    start, end = period.start, period.end
    communities = {c.pk: c for c in Community.objects.order_by("name", "id")}
    grids = {g.pk: g for g in Grid.objects.order_by("community_id", "name", "id").only("id", "name", "community_id")}
    district = Figures(active_volunteers=0, service_minutes=0, points_issued=0, points_redeemed=0)
    by_community = {pk: Figures(active_volunteers=0, service_minutes=0) for pk in communities}
    by_grid = {pk: Figures() for pk in grids}

    def each(grid_id, community_id):
        targets = [district]
        if community_id in by_community:
            targets.append(by_community[community_id])
        if grid_id in by_grid:
            targets.append(by_grid[grid_id])
        return targets

    reported = Hazard.objects.filter(created_at__gte=start, created_at__lt=end)
    for row in reported.values("grid_id", "community_id", "status").annotate(n=Count("id")).order_by():
        for figures in each(row["grid_id"], row["community_id"]):
            figures.reported += row["n"]
            if row["status"] not in NOT_COUNTED_FOR_RATE:
                figures.rate_base += row["n"]
    done = (
        reported.exclude(status__in=NOT_COUNTED_FOR_RATE)
        .filter(events__to_status=Status.RECTIFIED, events__created_at__lt=end)
        .values("grid_id", "community_id")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    for row in done:
        for figures in each(row["grid_id"], row["community_id"]):
            figures.rate_done += row["n"]

    moved = (
        HazardEvent.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            to_status__in=[Status.TRIAGED, Status.RECTIFIED, Status.VERIFIED],
        )
        .values("hazard__grid_id", "hazard__community_id", "to_status")
        .annotate(n=Count("hazard_id", distinct=True))
        .order_by()
    )
    for row in moved:
        for figures in each(row["hazard__grid_id"], row["hazard__community_id"]):
            setattr(figures, row["to_status"], getattr(figures, row["to_status"]) + row["n"])

    # The residents' answers on the hazards rectified in the period (the `rectified` figure's hazards).
    rectified_in_period = HazardEvent.objects.filter(
        created_at__gte=start, created_at__lt=end, to_status=Status.RECTIFIED
    ).values("hazard_id")
    answers = (
        FixFeedback.objects.filter(hazard_id__in=rectified_in_period, created_at__lt=end)
        .values("hazard__grid_id", "hazard__community_id", "fixed")
        .annotate(n=Count("id"), stars=Sum("stars"))
        .order_by()
    )
    for row in answers:
        for figures in each(row["hazard__grid_id"], row["hazard__community_id"]):
            if row["fixed"]:
                figures.confirmed_fixed += row["n"]
                figures.stars_total += row["stars"] or 0
            else:
                figures.reopen_requested += row["n"]

    first_fix = (
        HazardEvent.objects.filter(to_status=Status.RECTIFIED)
        .values("hazard_id", "hazard__grid_id", "hazard__community_id", "hazard__created_at")
        .annotate(first=Min("created_at"))
        .filter(first__gte=start, first__lt=end)
        .order_by()
    )
    for row in first_fix:
        seconds = max(0.0, (row["first"] - row["hazard__created_at"]).total_seconds())
        for figures in each(row["hazard__grid_id"], row["hazard__community_id"]):
            figures.rectify_seconds.append(seconds)

    accepted = (
        Task.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
        .values_list("hazard__grid_id", "hazard__community_id", "offered_at", "accepted_at")
        .order_by()
    )
    for grid_id, community_id, offered_at, accepted_at in accepted:
        seconds = max(0.0, (accepted_at - offered_at).total_seconds())
        for figures in each(grid_id, community_id):
            figures.accept_seconds.append(seconds)

    late = (
        Task.objects.filter(due_at__gte=start, due_at__lt=end)
        .filter(Q(overdue=True) | Q(completed_at__gt=F("due_at")))
        .values("hazard__grid_id", "hazard__community_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in late:
        for figures in each(row["hazard__grid_id"], row["hazard__community_id"]):
            figures.overdue += row["n"]

    service = (
        ServiceRecord.objects.filter(
            status=ServiceRecordStatus.APPROVED, served_on__gte=period.first_day, served_on__lte=period.last_day
        )
        .values("volunteer__community_id")
        .annotate(minutes=Sum("minutes"), people=Count("volunteer_id", distinct=True))
        .order_by()
    )
    for row in service:
        # A volunteer belongs to exactly one community, so community counts add up to the district's.
        targets = [district] + (
            [by_community[row["volunteer__community_id"]]] if row["volunteer__community_id"] in by_community else []
        )
        for figures in targets:
            figures.service_minutes += row["minutes"] or 0
            figures.active_volunteers += row["people"]

    points = dict(
        PointsEntry.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("kind", "total")
    )
    district.points_issued = points.get(EntryKind.EARN, 0) or 0
    district.points_redeemed = -((points.get(EntryKind.REDEEM, 0) or 0) + (points.get(EntryKind.REFUND, 0) or 0))

    return Kpis(
        period=period,
        district=ScopeRow("district", None, _("District"), "", district),
        communities=[ScopeRow("community", pk, c.name, c.name, by_community[pk]) for pk, c in communities.items()],
        grids=[
            ScopeRow(
                "grid",
                pk,
                g.name,
                communities[g.community_id].name if g.community_id in communities else "",
                by_grid[pk],
            )
            for pk, g in grids.items()
        ],
    )


# --- the trend: hazards reported per week and category ------------------------------------------

PALETTE = ["#0b5cad", "#c62828", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#f9a825", "#5d4037", "#ad1457", "#546e7a"]


@dataclass
class TrendBar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Trend:
    width: int
    height: int
    weeks: list[dict]  # {"label", "x", "total"}
    bars: list[TrendBar]
    legend: list[dict]  # {"name", "colour", "total"}
    max_total: int
    gridlines: list[dict]  # {"y", "label"}


def trend(*, period: Period, width: int = 760, height: int = 260) -> Trend:
    """Hazards reported per (ISO) week and category, as geometry for a stacked-bar SVG."""
    rows = (
        Hazard.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(week=TruncWeek("created_at"))
        .values("week", "category_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[date, dict[int, int]] = defaultdict(dict)
    for row in rows:
        week = row["week"]
        week = week.date() if isinstance(week, datetime) else week
        counts[week][row["category_id"]] = counts[week].get(row["category_id"], 0) + row["n"]
    first_monday = period.first_day - timedelta(days=period.first_day.weekday())
    weeks = []
    day = first_monday
    while day <= period.last_day:
        weeks.append(day)
        day += timedelta(days=7)
    categories = list(Category.objects.order_by("sort_order", "id").only("id", "name", "name_en"))
    used = [c for c in categories if any(c.pk in counts[w] for w in weeks)]
    colours = {c.pk: PALETTE[i % len(PALETTE)] for i, c in enumerate(used)}
    left, bottom, top = 40, 28, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    max_total = max([sum(counts[w].values()) for w in weeks] + [1])
    step = plot_w / max(len(weeks), 1)
    bar_w = max(step * 0.7, 2)
    bars, labels = [], []
    for i, week in enumerate(weeks):
        x = left + i * step + (step - bar_w) / 2
        base = top + plot_h
        total = 0
        for category in used:
            n = counts[week].get(category.pk, 0)
            if not n:
                continue
            h = plot_h * n / max_total
            base -= h
            total += n
            bars.append(
                TrendBar(
                    round(x, 1),
                    round(base, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    colours[category.pk],
                    f"{week:%m-%d} · {category.localized_name()} · {n}",
                )
            )
        labels.append({"label": f"{week:%m-%d}", "x": round(x + bar_w / 2, 1), "total": total})
    ticks = sorted({0, max_total // 2, max_total})
    gridlines = [{"y": round(top + plot_h - plot_h * t / max_total, 1), "label": t} for t in ticks]
    legend = [
        {"name": c.localized_name(), "colour": colours[c.pk], "total": sum(counts[w].get(c.pk, 0) for w in weeks)}
        for c in used
    ]
    return Trend(width, height, labels, bars, legend, max_total, gridlines)
