"""Pages where merchants run their offers: their staff propose and change them (/merchant/offers/),
dispatchers approve or return them (/office/coupon-proposals/). Thin: forms check shapes,
rewards.proposals decides, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govern.pages import dispatcher_required, flash_errors, page_errors
from rewards import proposals, selectors
from rewards.audience import audience_badge
from rewards.forms import PROPOSAL_FIELD_MAP, CouponProposalForm
from rewards.models import CouponReview

PAGE_SIZE = 30
REVIEW_FILTERS = ("proposed", "returned", "approved", "all")


def _with_badges(coupons):
    for coupon in coupons:
        coupon.badge = audience_badge(coupon, team_names=[t.name for t in coupon.audience_teams.all()])
    return coupons


def _not_staff(request):
    return HttpResponseForbidden(render_to_string("rewards/not_staff.html", request=request))


@login_required
@require_http_methods(["GET", "POST"])
def merchant_offers(request):
    """A merchant's staff: their offers (waiting, returned with the reason, approved) and a form
    to propose a new one."""
    merchants = selectors.merchants_of_staff(user=request.user)
    if not merchants:
        return _not_staff(request)
    status = 200
    if request.method == "POST":
        form = CouponProposalForm(request.POST, request.FILES, merchants=merchants)
        if form.is_valid():
            with page_errors(form=form, fields=PROPOSAL_FIELD_MAP):
                coupon = proposals.coupon_propose(
                    actor=request.user,
                    merchant_id=form.cleaned_data["merchant"],
                    image=form.cleaned_data["image"],
                    **form.terms(),
                )
                messages.success(
                    request, _("Proposed: “%(title)s” waits for a dispatcher's approval.") % {"title": coupon.title}
                )
                return redirect(f"/merchant/offers/#offer-{coupon.pk}")
        status = 400
    else:
        form = CouponProposalForm(merchants=merchants)
    page = Paginator(selectors.merchant_offers(merchant_ids=[m.pk for m in merchants]), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"merchants": merchants, "form": form, "page": page, "offers": _with_badges(list(page.object_list))}
    return render(request, "rewards/merchant_offers.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def merchant_offer_edit(request, pk: int):
    """Change a waiting or returned proposal; saving proposes it again."""
    merchants = selectors.merchants_of_staff(user=request.user)
    if not merchants:
        return _not_staff(request)
    coupon = selectors.merchant_offers(merchant_ids=[m.pk for m in merchants]).filter(pk=pk).first()
    if coupon is None:
        raise Http404(_("No such coupon."))
    initial = CouponProposalForm.initial_of(coupon)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = CouponProposalForm(*data, initial=initial, merchants=merchants)
    form.fields["merchant"].disabled = True  # an offer stays with its merchant
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with page_errors(form=form, fields=PROPOSAL_FIELD_MAP):
                proposals.coupon_proposal_revise(
                    actor=request.user, coupon_id=coupon.pk, image=form.cleaned_data["image"], **form.terms()
                )
                messages.success(request, _("Changed and proposed again: a dispatcher will look at it."))
                return redirect(f"/merchant/offers/#offer-{coupon.pk}")
        status = 400
    context = {"coupon": coupon, "form": form, "editable": coupon.review != CouponReview.APPROVED}
    return render(request, "rewards/merchant_offer_edit.html", context, status=status)


@dispatcher_required
def coupon_proposals(request):
    """Dispatchers: merchants' proposals waiting for a decision (or, filtered, past ones)."""
    review = request.GET.get("review", "proposed")
    review = review if review in REVIEW_FILTERS else "proposed"
    page = Paginator(selectors.coupon_proposals(review=None if review == "all" else review), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filters = [
        (value, label)
        for value, label in (
            ("proposed", _("Waiting")),
            ("returned", _("Returned")),
            ("approved", _("Approved")),
            ("all", _("All")),
        )
    ]
    context = {
        "review": review,
        "filters": filters,
        "page": page,
        "proposals": _with_badges(list(page.object_list)),
    }
    return render(request, "rewards/coupon_proposals.html", context)


@dispatcher_required
@require_POST
def coupon_proposal_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    with flash_errors(request) as failed:
        coupon = proposals.coupon_review(
            actor=request.user, coupon_id=pk, approve=approve, reason=request.POST.get("reason", "")
        )
    if not failed:
        if approve:
            messages.success(request, _("Approved: “%(title)s” is on offer in its window.") % {"title": coupon.title})
        else:
            messages.success(request, _("Returned to the merchant with your reason."))
    return redirect("rewards-coupon-proposals")
