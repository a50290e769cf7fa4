"""The back office pages (dispatchers only): the live board, the dashboard, the heat map JSON,
the CSV exports, keys and partners. Thin: selectors compute, templates draw, JS keeps them live."""

from __future__ import annotations

from django.core.handlers.asgi import ASGIRequest
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from govern.csv_export import csv_text, header_row
from govern.errors import InvalidInput
from govern.live import current_event_id
from govern.models import ApiClient
from govern.notify.selectors import offer_reach
from govern.office import exports, heatmap, kpi_export
from govern.office.filters import LedgerFilter, ServiceRecordFilter, TaskExportFilter
from govern.office.selectors import board as board_selectors
from govern.office.selectors import headline as headline_selectors
from govern.office.selectors import kpis as kpi_selectors
from govern.office.selectors import loop as loop_selectors
from govern.office.selectors import search as search_selectors
from govern.pages import dispatcher_required, page_errors
from hazards import conf as hazard_conf
from hazards.core.events import hazard_fields, task_fields
from hazards.models import Hazard, Severity, Status, Task, TaskStatus
from hazards.premises.campaigns.selectors import dashboard_campaigns
from hazards.reports.filters import HazardFilter
from rewards.models import Merchant, PointsEntry
from volunteers.models import ServiceRecord

# The fields of `hazard.*` and `task.*` event payloads the board's cards use (hazards.core.events
# computes each the same way for the page and the events), plus what only the page has.
BOARD_HAZARD = (
    "id",
    "tracking_code",
    "status",
    "severity",
    "category",
    "icon",
    "latitude",
    "longitude",
    "address",
    "created_at",
)
BOARD_TASK = ("id", "status", "overdue", "assignee", "assignee_kind", "offered_at", "accept_deadline", "due_at")


def _hazard_point(hazard: Hazard, new_since, reach: dict, expired: dict[int, Task]) -> dict:
    photos = getattr(hazard, "first_photos", None) or []
    offer = expired.get(hazard.pk)
    return {
        **hazard_fields(hazard, BOARD_HAZARD),
        "category_name": hazard.category.localized_name(),
        "grid_name": hazard.grid.name,
        "community_name": hazard.community.name,
        "description": hazard.description[:200],
        "thumb": photos[0].thumb.url if photos and photos[0].thumb else None,
        "new": hazard.created_at >= new_since,
        "tasks": [_task_point(t, reach) for t in getattr(hazard, "live_tasks", [])],
        # Its latest offer expired unanswered (the "offers expired" queue): the card offers it again.
        "expired_offer": {
            **task_fields(offer, BOARD_TASK),
            "assignee_name": offer.assignee.display_name or offer.assignee.username,
            "ended_at": offer.ended_at and offer.ended_at.isoformat(),
        }
        if offer
        else None,
    }


def _task_point(task, reach: dict) -> dict:
    # The offer ladder: was the card seen, did a push or an SMS go (the same fields as `task.reach`).
    how = reach.get((task.assignee_id, f"task:{task.pk}")) or {"seen": False, "push": None, "sms": None}
    return {
        **task_fields(task, BOARD_TASK),
        "assignee_name": task.assignee.display_name or task.assignee.username,
        **how,
    }


@require_GET
@dispatcher_required
def board(request):
    last_event_id = current_event_id()  # before the data: anything later is replayed
    search = search_selectors.board_search(request.GET)
    data = board_selectors.board()
    offers_expired = loop_selectors.offers_expired()
    expired = {task.hazard_id: task for task in offers_expired}
    shown = data.untriaged + data.unassigned + data.in_work + data.overdue
    reach = offer_reach((t.assignee_id, f"task:{t.pk}") for h in shown for t in getattr(h, "live_tasks", []))
    hazards = [_hazard_point(h, data.new_since, reach, expired) for h in shown]
    volunteers = [
        {
            "id": v.pk,
            "user_id": v.user_id,
            "real_name": v.real_name,
            "team": v.team.name if v.team else "",
            "latitude": v.latitude,
            "longitude": v.longitude,
            "position_updated_at": v.position_updated_at.isoformat() if v.position_updated_at else None,
        }
        for v in data.volunteers
    ]
    area = [{"name": g.name, "community": g.community.name, "boundary": g.boundary} for g in data.grids]
    return render(
        request,
        "office/board.html",
        {
            "last_event_id": last_event_id,
            "board": data,
            "to_verify": loop_selectors.to_verify(),
            "reopen_requested": loop_selectors.reopen_requested(),
            "offers_expired": offers_expired,
            "hazards_json": hazards,
            "volunteers_json": volunteers,
            "service_area": area,
            "severities": Severity.choices,
            "alarm_categories": " ".join(hazard_conf.alarm_categories()),
            "search": search,
            "status_choices": Status.choices,
            "status_labels": {value: str(label) for value, label in Status.choices},
            "task_labels": {value: str(label) for value, label in TaskStatus.choices},
        },
        status=400 if search.errors else 200,
    )


@require_GET
@dispatcher_required
def loop_queues(request):
    """The "to verify", "reopen requested" and "offers expired" queues alone, swapped into the open board when an
    event changes them (static/js/office/loop_queues.js)."""
    context = {
        "to_verify": loop_selectors.to_verify(),
        "reopen_requested": loop_selectors.reopen_requested(),
        "offers_expired": loop_selectors.offers_expired(),
    }
    return render(request, "office/_loop_queues.html", context)


def _table_rows(figures: kpi_selectors.Kpis) -> list[kpi_selectors.ScopeRow]:
    """The district, then each community followed by its grids."""
    rows = [figures.district]
    for community in figures.communities:
        rows.append(community)
        rows.extend(g for g in figures.grids if g.community == community.community)
    return rows


@require_GET
@dispatcher_required
def dashboard(request):
    last_event_id = current_event_id()
    with page_errors() as failed:
        period = kpi_selectors.parse_period(request.GET)
    if failed:
        period = kpi_selectors.parse_period({})
    error = failed.as_dict()
    risks = heatmap.grid_risk()
    figures = kpi_selectors.kpis(period=period)
    rows = _table_rows(figures)
    return render(
        request,
        "office/dashboard.html",
        {
            "kpis_rows": rows,
            "last_event_id": last_event_id,
            "period": period,
            "period_error": error,
            "kpis": figures,
            "trend": kpi_selectors.trend(period=period),
            "headline": headline_selectors.headline(),
            "risks": risks,
            "heat": heatmap.svg_shapes(risks),
            "heat_grids": heatmap.map_grids(risks),
            "formula": heatmap.FORMULA,
            "levels": heatmap.LEVELS,
            "campaigns": dashboard_campaigns(),
        },
        status=400 if error else 200,
    )


@require_GET
@dispatcher_required
def heatmap_json(request):
    return JsonResponse(heatmap.as_json(heatmap.grid_risk()))


EXPORTS = {
    "hazards": (HazardFilter, Hazard.objects.all, exports.hazard_rows),
    "tasks": (TaskExportFilter, Task.objects.all, exports.task_rows),
    "hours": (ServiceRecordFilter, ServiceRecord.objects.all, exports.hours_rows),
    "ledger": (LedgerFilter, PointsEntry.objects.all, exports.ledger_rows),
}


@require_GET
@dispatcher_required
def export(request, name: str):
    filterset_class, base, rows = EXPORTS[name]
    filterset = filterset_class(request.GET, queryset=base())
    if not filterset.is_valid():
        lines = [f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in filterset.errors.items()]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
    header, iterator = rows(filterset.qs)
    header = header_row(request, header, exports.HEADER_LABELS)
    chunks = (chunk.encode("utf-8") for chunk in exports.csv_chunks(header, iterator))
    if isinstance(request, ASGIRequest):
        chunks = exports.as_async(chunks)  # else Django's ASGI handler would buffer the whole file
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@dispatcher_required
def export_kpis(request):
    """The dashboard table as CSV over `?from=&to=` (a bad date is a 400 naming the field)."""
    try:
        period = kpi_selectors.parse_period(request.GET)
    except InvalidInput as error:
        return HttpResponseBadRequest(f"{error.field}: {error}", content_type="text/plain; charset=utf-8")
    figures = kpi_selectors.kpis(period=period)
    header = header_row(request, kpi_export.HEADER, kpi_export.HEADER_LABELS)
    response = HttpResponse(csv_text(kpi_export.kpi_rows(figures, _table_rows(figures)), header))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="kpis-{period.first_day}-{period.last_day}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@dispatcher_required
def partners(request):
    clients = list(ApiClient.objects.annotate(report_count=Count("hazards")).order_by("-active", "name"))
    merchants = list(
        Merchant.objects.annotate(
            coupon_total=Count("coupons", distinct=True),
            active_coupons=Count("coupons", filter=Q(coupons__active=True), distinct=True),
            staff_total=Count("staff", distinct=True),
        ).order_by("-active", "name")
    )
    return render(request, "office/partners.html", {"clients": clients, "merchants": merchants})
