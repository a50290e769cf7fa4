"""Pages of the premises register: the list (/premises/), one premises with its hazard history
(/premises/<id>/, live), the CSV import and export (dispatchers).

Thin: selectors decide what the viewer sees, the import module does the work.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govern.csv_export import header_row
from govern.live import current_event_id
from govern.models import Grid
from govern.pages import flash_errors
from govern.roles import is_dispatcher
from govern.selectors import grid_list
from hazards.models import Status
from hazards.premises import imports, selectors
from hazards.premises.filters import PremisesFilter
from hazards.premises.linking import hazard_link_premises_by_code, may_link_at
from hazards.premises.policy import can_manage

PAGE_SIZE = 50
STATUS_LABELS = {value: str(label) for value, label in Status.choices}


def _require_manager(request) -> None:
    if not can_manage(request.user):
        raise DjangoPermissionDenied(_("Only dispatchers can see this page."))


def _grids_for(user) -> list[Grid]:
    if can_manage(user):
        return list(grid_list())
    return list(user.grids.select_related("community").order_by("id"))


@login_required
@require_GET
def premises_list_page(request):
    queryset = selectors.premises_list(user=request.user)  # PermissionDenied: 403 (govern.pages)
    filterset = PremisesFilter(request.GET, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    viewer = request.user
    items = [(p, *selectors.phones_for(viewer, p)) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "premises/list.html",
        {
            "page": page,
            "items": items,
            "filterset": filterset,
            "filter_errors": filterset.errors if not filterset.is_valid() else {},
            "types": selectors.premises_types(),
            "grids": _grids_for(viewer),
            "streets": selectors.streets(user=viewer),
            "selected": {k: request.GET.get(k, "") for k in ("grid", "type", "street", "q")},
            "query": query.urlencode(),
            "can_manage": can_manage(viewer),
        },
    )


@login_required
@require_GET
def premises_detail_page(request, pk: int):
    last_event_id = current_event_id()  # before reading: replay covers whatever happens after
    detail = selectors.premises_detail(user=request.user, premises_id=pk)  # NotFound: 404 (govern.pages)
    contact_phone, responsible_phone = selectors.phones_for(request.user, detail.premises)
    return render(
        request,
        "premises/detail.html",
        {
            "premises": detail.premises,
            "history": detail.history,
            "hazard_total": detail.hazard_total,
            "open_hazards": detail.open_hazards,
            "contact_phone": contact_phone,
            "responsible_phone": responsible_phone,
            "status_labels": STATUS_LABELS,
            "last_event_id": last_event_id,
            "can_manage": can_manage(request.user),
            # Dispatchers open a hazard in the back office; everyone else sees its tracking page.
            "office_links": is_dispatcher(request.user),
            "may_link": may_link_at(request.user, detail.premises),
        },
    )


@require_POST
@login_required
def premises_link_page(request, pk: int):
    """Link a report to this premises by its tracking code (dispatchers and the grid's workers):
    a plain form POST, back to the page with the service's sentence."""
    with flash_errors(request) as failed:
        link = hazard_link_premises_by_code(
            actor=request.user, premises_id=pk, tracking_code=request.POST.get("tracking_code", "")
        )
    if not failed:
        messages.success(request, _("Report %(code)s linked.") % {"code": link.hazard.tracking_code})
    return redirect("premises:detail", pk=pk)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"), help_text=gettext_lazy("UTF-8 or GB18030 (Excel), header row first.")
    )


@login_required
@require_http_methods(["GET", "POST"])
def premises_import_page(request):
    _require_manager(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = imports.premises_import(data=form.cleaned_data["file"].read(), actor=request.user)
        level = messages.SUCCESS if report.committed else messages.ERROR
        messages.add_message(request, level, report.summary())
    columns = [(c, imports.CHINESE_HEADER[c], c in imports.REQUIRED) for c in imports.COLUMNS]
    context = {"form": form, "report": report, "columns": columns, "types": selectors.premises_types()}
    return render(request, "premises/import.html", context)


@login_required
@require_GET
def premises_export(request):
    """The filtered register as CSV, in the import's format (dispatchers)."""
    _require_manager(request)
    filterset = PremisesFilter(request.GET, queryset=selectors.premises_list(user=request.user))
    if not filterset.is_valid():
        raise DjangoPermissionDenied(_("Invalid filter."))
    header = header_row(request, imports.EXPORT_HEADER, imports.CHINESE_HEADER)
    response = HttpResponse(imports.export_csv(filterset.qs, header), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="premises-{stamp}.csv"'
    return response
