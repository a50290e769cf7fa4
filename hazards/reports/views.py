"""Pages of hazard reports: report form, tracking page, my reports, the public map. Thin."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFilesSent
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govern.errors import InvalidInput, NotFound
from govern.live import current_event_id
from govern.media.checks import too_many_files_sentence
from govern.pages import flash_errors, page_errors
from govern.selectors import grid_list
from hazards import conf
from hazards.core.lifecycle import status_label
from hazards.models import Source, Status
from hazards.reports import fix, hints, selectors, services
from hazards.reports.feedback import answer_photo_limits, feedback_submit
from hazards.reports.forms import ReportForm
from hazards.reports.ownership import filed_ids, remember_filed
from hazards.reports.premises_hint import premises_hint
from hazards.reports.throttles import code_lookup_wait, report_wait
from hazards.reports.tracking import normalise_tracking_code

# The happy path a report walks, for the progress bar of the tracking page.
PROGRESS = [
    Status.SUBMITTED,
    Status.TRIAGED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RECTIFIED,
    Status.VERIFIED,
    Status.CLOSED,
]


def _service_area() -> list[dict]:
    return [
        {"name": g.name, "community": g.community.name, "boundary": g.boundary}
        for g in grid_list().only("name", "boundary", "community__name")
    ]


def _report_context(form) -> dict:
    area = _service_area()
    return {
        "form": form,
        "categories": list(selectors.category_list()),
        "service_area": area,
        "max_photos": conf.max_photos(),
        "max_photo_mb": conf.max_photo_bytes() // (1024 * 1024),
    }


@require_http_methods(["GET", "POST"])
def report(request):
    categories = list(selectors.category_list())
    if request.method == "GET":
        return render(request, "hazards/report.html", _report_context(ReportForm(categories=categories)))
    try:
        request.POST, request.FILES  # noqa: B018 - parse now, to catch Django's cap on the number of files
    except TooManyFilesSent:
        context = {
            **_report_context(ReportForm(categories=categories)),
            "page_error": too_many_files_sentence(limits=conf.photo_limits()),
        }
        return render(request, "hazards/report.html", context, status=400)
    form = ReportForm(request.POST, categories=categories)
    wait = report_wait(request)
    if wait is not None:
        form.add_error(
            None,
            _("Too many reports from this device; please try again in %(minutes)d minutes.")
            % {"minutes": max(1, math.ceil(wait / 60))},
        )
        response = render(request, "hazards/report.html", _report_context(form), status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response
    if form.is_valid():
        values = form.cleaned_data
        with page_errors(form=form):
            outcome = services.hazard_report(
                reporter=request.user,
                category_slug=values["category"],
                description=values["description"],
                latitude=values["latitude"],
                longitude=values["longitude"],
                address=values["address"],
                contact_phone=values["contact_phone"],
                contact_consent=values["contact_consent"],
                sms_updates=values["sms_updates"],
                photos=request.FILES.getlist("photos"),
                source=Source.WEB,
                client_data=premises_hint(values.get("premises")),
            )
            slug = outcome.hazard.category.slug
            for hint in hints.duplicate_hints(outcome.duplicates, viewer=request.user, category_slug=slug):
                # Without another person's tracking code (hazards.reports.hints).
                messages.info(
                    request,
                    _("A similar open report of this kind is about %(distance)d m away (%(status)s).")
                    % {"distance": round(hint["distance_m"]), "status": status_label(hint["status"])},
                )
            remember_filed(request, outcome.hazard.pk)
            return redirect(f"/track/{outcome.hazard.tracking_code}/?new=1")
    return render(request, "hazards/report.html", _report_context(form), status=400)


def _lookup_refused(request, code: str):
    """The lookup form again, saying inline that the code matches no report (404)."""
    context = {
        "code": code,
        "error": _("No report has the tracking code %(code)s. Check it and try again.") % {"code": code},
    }
    return render(request, "hazards/track_lookup.html", context, status=404)


def _throttled_lookup(request, wait: float, code: str = ""):
    """Like the API twin's 429: the lookup form, saying when to try again."""
    context = {
        "code": code,
        "error": _("Too many look-ups from this device; please try again in %(s)d seconds.") % {"s": math.ceil(wait)},
    }
    response = render(request, "hazards/track_lookup.html", context, status=429)
    response["Retry-After"] = str(math.ceil(wait))
    return response


def track_lookup(request):
    code = request.GET.get("code", "").strip()
    if code:
        wait = code_lookup_wait(request)  # each answer says whether a code exists
        if wait is not None:
            return _throttled_lookup(request, wait, code[:32])
        normalised = normalise_tracking_code(code)
        try:
            selectors.hazard_track(tracking_code=normalised)
        except NotFound:
            return _lookup_refused(request, code[:32])
        return redirect(f"/track/{normalised}/")
    return render(request, "hazards/track_lookup.html")


def _track_context(request, hazard) -> dict:
    current = hazard.duplicate_of.status if hazard.duplicate_of_id else hazard.status
    reached = PROGRESS.index(current) if current in PROGRESS else -1
    steps = [
        {"status": s, "label": status_label(s), "done": i <= reached, "current": s == current}
        for i, s in enumerate(PROGRESS)
    ]
    decimals = conf.public_coordinate_decimals()
    feedback = fix.feedback_of(hazard)
    return {
        "fix": fix.fix_of(hazard),
        "feedback": feedback,
        "may_answer": fix.may_answer(actor=request.user, filed=filed_ids(request), hazard=hazard, feedback=feedback),
        "hazard": hazard,
        "steps": steps,
        "final_side_exit": current in (Status.REJECTED, Status.DUPLICATE, Status.REOPENED),
        "coarse_lat": round(hazard.latitude, decimals),
        "coarse_lng": round(hazard.longitude, decimals),
        "is_new": request.GET.get("new") == "1",
    }


def track(request, code: str):
    position = current_event_id()  # before reading: anything committed meanwhile is replayed
    wait = code_lookup_wait(request)  # like /api/v1/track/{code}/, on the same counter
    if wait is not None:
        if request.GET.get("fragment"):  # a live refresh: the script keeps the block it has
            return HttpResponse(status=429, headers={"Retry-After": str(math.ceil(wait))})
        return _throttled_lookup(request, wait)
    try:
        hazard = selectors.hazard_track(tracking_code=code)
    except NotFound:
        if request.GET.get("fragment"):
            raise  # a live refresh of a page that no longer exists: the 404 (govern.pages)
        return _lookup_refused(request, code[:32])  # a mistyped address: the lookup form, saying so
    if hazard.tracking_code != code:
        return redirect(f"/track/{hazard.tracking_code}/")
    context = _track_context(request, hazard)
    if request.GET.get("fragment") == "status":
        # The live script swaps this server-rendered block in when an event arrives.
        return render(request, "hazards/_track_status.html", context)
    if request.GET.get("fragment") == "photos":
        # Swapped in when hazard.photos_ready arrives (photos are re-encoded after the report commits).
        return render(request, "hazards/_track_photos.html", context)
    context["last_event_id"] = position
    return render(request, "hazards/track.html", context)


@require_POST
def track_feedback(request, code: str):
    """The reporter's answer without JavaScript (the page's form posts here): back to the page."""
    with flash_errors(request) as failed:
        try:
            photos = request.FILES.getlist("photos")
        except TooManyFilesSent:  # Django's own cap, hit while parsing
            raise InvalidInput(too_many_files_sentence(limits=answer_photo_limits()), field="photos") from None
        feedback_submit(
            tracking_code=code,
            actor=request.user,
            filed=filed_ids(request),
            fixed=request.POST.get("fixed") == "yes",
            stars=request.POST.get("stars"),
            comment=request.POST.get("comment", ""),
            photos=photos,
        )
    if not failed:
        messages.success(request, _("Thank you for your answer."))
    return redirect(f"/track/{normalise_tracking_code(code)}/")


@login_required
def my_reports(request):
    position = current_event_id()  # before reading: anything committed meanwhile is replayed
    page = Paginator(selectors.hazard_of_reporter(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "hazards/my_reports.html", {"page": page, "last_event_id": position})


def public_map(request):
    decimals = conf.public_coordinate_decimals()
    hazards = list(selectors.hazard_public_open())
    points = [
        {
            "lat": round(h.latitude, decimals),
            "lng": round(h.longitude, decimals),
            "category": h.category.localized_name(),
            "icon": h.category.icon,
            "status": h.get_status_display(),
            "severity": h.severity,
            "reported": h.created_at.date().isoformat(),
        }
        for h in hazards
    ]
    return render(
        request,
        "hazards/map.html",
        {"hazards": hazards, "points": points, "service_area": _service_area(), "coarse_decimals": decimals},
    )
