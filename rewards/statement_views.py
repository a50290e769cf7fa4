"""Monthly statements of codes used per merchant: a page and its CSV (/merchant/statement/).

A merchant's staff see their own merchants; dispatchers see every merchant's month at a glance
and each one's statement. The CSV's header is in the page's language, English field names with
`?lang=en` (govern.csv_export), like every other export.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.csv_export import csv_text, header_row
from govern.errors import InvalidInput
from govern.pages import page_errors
from govern.roles import is_dispatcher
from rewards import policy, selectors, statements

PAGE_ROWS = 500  # the page lists this many codes; the CSV has every one
CSV_HEADER = ["used_at", "code", "coupon_id", "coupon", "points", "checked_by"]
CSV_LABELS = {
    "used_at": gettext_lazy("used at"),
    "code": gettext_lazy("code"),
    "coupon_id": gettext_lazy("coupon number"),
    "coupon": gettext_lazy("coupon"),
    "points": gettext_lazy("points"),
    "checked_by": gettext_lazy("checked by (username)"),
}


def _merchant_id(request, allowed: list[int]) -> int | None:
    raw = request.GET.get("merchant", "")
    if raw.isdigit():
        return int(raw)
    return allowed[0] if len(allowed) == 1 else None


def _scope(request) -> tuple[bool, list[int]]:
    """(dispatcher?, the merchants this person's own statements are of)."""
    own = [m.pk for m in selectors.merchants_of_staff(user=request.user)]
    dispatcher = is_dispatcher(request.user)
    if not dispatcher and not own:
        raise DjangoPermissionDenied(_("Only a merchant's staff and dispatchers see statements."))
    return dispatcher, own


@login_required
def statement(request):
    dispatcher, own = _scope(request)
    context = {"dispatcher": dispatcher, "month_value": request.GET.get("month", "")}
    with page_errors() as failed:
        month = statements.clean_month(request.GET.get("month"))
        merchant_id = _merchant_id(request, own)
        if merchant_id is not None and not policy.may_see_statement(request.user, merchant_id):
            raise DjangoPermissionDenied(_("This is another merchant's statement."))
        context.update(
            month=month,
            month_value=month.strftime("%Y-%m"),
            overview=list(statements.merchants_month_overview(month=month, merchant_ids=None if dispatcher else own)),
        )
        if merchant_id is not None:
            context["statement"] = statements.merchant_statement(merchant_id=merchant_id, month=month)
            rows = list(statements.used_in_month(merchant_id=merchant_id, month=month)[: PAGE_ROWS + 1])
            context["rows"], context["rows_cut"] = rows[:PAGE_ROWS], len(rows) > PAGE_ROWS
    if failed:
        context["error"] = failed.as_dict()
        return render(request, "rewards/statement.html", context, status=failed.status_code)
    return render(request, "rewards/statement.html", context)


@login_required
def statement_csv(request):
    _scope(request)
    month = statements.clean_month(request.GET.get("month"))  # a 400 page naming the month
    raw = request.GET.get("merchant", "")
    if not raw.isdigit():
        raise InvalidInput(_("Choose the merchant whose statement to download."), field="merchant")
    if not policy.may_see_statement(request.user, int(raw)):
        raise DjangoPermissionDenied(_("This is another merchant's statement."))
    merchant = statements.merchant_statement(merchant_id=int(raw), month=month).merchant
    rows = statements.used_in_month(merchant_id=merchant.pk, month=month).values_list(
        "used_at", "code", "coupon_id", "coupon__title", "cost", "used_by__username"
    )
    response = HttpResponse(csv_text(rows, header_row(request, CSV_HEADER, CSV_LABELS)))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="statement-{merchant.pk}-{month:%Y-%m}.csv"'
    response["Cache-Control"] = "no-store"
    return response
