"""Pages of the volunteers app: apply, my volunteer page, approvals (dispatchers), teams.

Thin: forms check shapes, services decide, selectors read. Pages are live through /ws/live/ (see
static/js/volunteers/); forms post here so everything also works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govern.live import current_event_id
from govern.pages import flash_errors, page_errors, throttled_form
from govern.roles import is_dispatcher
from govern.throttles import scope_wait
from volunteers import certificates, conf, recognition, selectors, service_records, services
from volunteers.forms import FIELD_MAP, ApplyForm, DecisionForm, ServiceRecordForm, StandingForm
from volunteers.models import ServiceRecordStatus, VolunteerStatus, VolunteerStatusChange

PAGE_SIZE = 50
STATUS_LABELS = {value: str(label) for value, label in VolunteerStatus.choices}
RECORD_LABELS = {value: str(label) for value, label in ServiceRecordStatus.choices}


def _require_dispatcher(request) -> None:
    if not is_dispatcher(request.user):
        raise DjangoPermissionDenied(_("Only dispatchers can see this page."))


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def home(request):
    """/volunteers/: my page when I have a profile, the application otherwise."""
    if request.user.is_authenticated and selectors.volunteer_for_user_id(request.user.pk) is not None:
        return redirect("volunteers:me")
    return redirect("volunteers:apply")


@require_http_methods(["GET", "POST"])
def apply(request):
    existing = selectors.volunteer_for_user_id(request.user.pk) if request.user.is_authenticated else None
    if existing is not None and existing.status != VolunteerStatus.REJECTED:
        return redirect("volunteers:me")
    with_account = not request.user.is_authenticated
    initial = {}
    if existing is not None:
        initial = {"real_name": existing.real_name, "phone": existing.phone, "community": existing.community_id}
    elif request.user.is_authenticated:
        initial = {"phone": request.user.phone}
    form = ApplyForm(request.POST or None, with_account=with_account, initial=initial)
    if request.method == "POST":
        # Counted like the API: each answer says whether a number (or a username) is taken.
        wait = scope_wait("signup", request, by_address=True) if with_account else None
        wait = wait or scope_wait("volunteer_phone", request)
        if wait is not None:
            context = {"form": form, "teams": list(form.fields["team"].queryset), "reapplying": existing is not None}
            return throttled_form(request, "volunteers/apply.html", context, form=form, wait=wait)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        profile = {
            "real_name": data["real_name"],
            "phone": data["phone"],
            "community_id": data["community"].pk,
            "team_id": data["team"].pk if data["team"] else None,
            "skills": form.claims(),
            "availability": form.slots(),
        }
        with page_errors(form=form, fields=FIELD_MAP):
            if with_account:
                volunteer = services.volunteer_apply_with_account(
                    username=data["username"], password=data["password1"], **profile
                )
                login(request, volunteer.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                services.volunteer_apply(actor=request.user, **profile)
            messages.success(request, _("Thank you! Your application is waiting for approval."))
            return redirect("volunteers:me")
    teams = list(form.fields["team"].queryset)
    return render(request, "volunteers/apply.html", {"form": form, "teams": teams, "reapplying": existing is not None})


@login_required
def me(request):
    last_event_id = current_event_id()  # before reading: replay covers whatever happens after
    volunteer = selectors.volunteer_for_user(request.user)
    if volunteer is None:
        return redirect("volunteers:apply")
    history = list(
        VolunteerStatusChange.objects.filter(volunteer=volunteer).select_related("actor").order_by("-id")[:20]
    )
    records = list(selectors.service_records_of(volunteer)[:20])
    pending_minutes = sum(r.minutes for r in records if r.status == ServiceRecordStatus.PENDING)
    max_age_s = int(conf.position_max_age().total_seconds())
    context = {
        "volunteer": volunteer,
        "stars": recognition.star_level(volunteer.service_minutes),
        "certificates": recognition.certificates_of(volunteer),
        "history": history,
        "records": records,
        "pending_minutes": pending_minutes,
        "record_form": ServiceRecordForm(),
        "is_leader": volunteer.is_team_leader and volunteer.status == VolunteerStatus.APPROVED,
        "position_max_age_min": max_age_s // 60,
        # Re-send the position well before it goes stale, even when the phone has not moved.
        "heartbeat_s": max(30, min(300, max_age_s // 3)),
        "labels": {"status": STATUS_LABELS, "records": RECORD_LABELS, "text": _page_texts()},
        "last_event_id": last_event_id,
    }
    return render(request, "volunteers/me.html", context)


def _page_texts() -> dict:
    # The duty switch's own sentences live in templates/volunteers/_duty.html.
    return {
        "minutes": _("min"),
        "new_application": _("New application"),
        "reason_required": _("Give a reason for the rejection."),
    }


@login_required
@require_POST
def service_record_submit(request):
    form = ServiceRecordForm(request.POST)
    if form.is_valid():
        with flash_errors(request):
            service_records.service_record_submit(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Logged. A team leader or dispatcher will review your minutes."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect(reverse("volunteers:me") + "#service")


@login_required
@require_POST
def certificate_upload(request):
    """The certificate photo of a licensed skill, from the volunteer's page; back to it."""
    with flash_errors(request) as failed:
        certificates.volunteer_certificate_attach(
            actor=request.user, skill_slug=request.POST.get("skill", ""), photo=request.FILES.get("photo")
        )
    if not failed:
        messages.success(request, _("Thank you: a dispatcher will look at the certificate."))
    return redirect("volunteers:me")


@login_required
def approvals(request):
    """The dispatcher's queue: applications (oldest first) and manual minutes awaiting review."""
    _require_dispatcher(request)
    last_event_id = current_event_id()  # before reading: replay covers whatever happens after
    pending = selectors.pending_applications()
    applications = list(pending[:PAGE_SIZE])
    records = list(selectors.service_records_for_review(viewer=request.user)[:PAGE_SIZE])
    context = {
        "applications": applications,
        # Only count when the first page is full: the common case stays at one query.
        "application_total": pending.count() if len(applications) == PAGE_SIZE else len(applications),
        "records": records,
        "labels": {"status": STATUS_LABELS, "records": RECORD_LABELS, "text": _page_texts()},
        "last_event_id": last_event_id,
    }
    return render(request, "volunteers/approvals.html", context)


@login_required
def application_row(request, pk: int):
    """One row of the approval list (the page's script inserts it when `volunteer.applied` arrives)."""
    _require_dispatcher(request)
    volunteer = selectors.pending_applications().filter(pk=pk).first()
    if volunteer is None:
        raise Http404
    return render(request, "volunteers/_application.html", {"volunteer": volunteer})


@login_required
@require_POST
def decide(request, pk: int):
    _require_dispatcher(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("volunteers:approvals")
    with flash_errors(request):
        if form.cleaned_data["decision"] == "approve":
            volunteer = services.volunteer_approve(
                volunteer_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("%(name)s is approved.") % {"name": volunteer.real_name})
        else:
            volunteer = services.volunteer_reject(
                volunteer_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("%(name)s is rejected.") % {"name": volunteer.real_name})
    return redirect("volunteers:approvals")


@login_required
@require_POST
def change_standing(request, pk: int):
    """Suspend (a reason is required: the volunteer reads it) or reinstate; back to where it came from."""
    _require_dispatcher(request)
    back = _safe_next(request, reverse("volunteers:teams"))
    form = StandingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose suspend or reinstate."))
        return redirect(back)
    with flash_errors(request):
        if form.cleaned_data["decision"] == "suspend":
            volunteer = services.volunteer_suspend(
                volunteer_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("%(name)s is suspended.") % {"name": volunteer.real_name})
        else:
            volunteer = services.volunteer_reinstate(
                volunteer_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("%(name)s is reinstated.") % {"name": volunteer.real_name})
    return redirect(back)


@login_required
def record_row(request, pk: int):
    """One pending service record row for a reviewer (inserted live on approvals and team pages)."""
    records = selectors.service_records_for_review(viewer=request.user)  # not a reviewer: 403 (govern.pages)
    record = records.filter(pk=pk).first()
    if record is None:
        raise Http404
    return render(request, "volunteers/_record.html", {"record": record, "next": _safe_next(request, "")})


@login_required
@require_POST
def review_record(request, pk: int):
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    with flash_errors(request):
        if decision == "approve":
            service_records.service_record_approve(record_id=pk, actor=request.user, reason=reason)
            messages.success(request, _("Minutes approved."))
        elif decision == "reject":
            service_records.service_record_reject(record_id=pk, actor=request.user, reason=reason)
            messages.success(request, _("Minutes rejected."))
        else:
            messages.error(request, _("Choose approve or reject."))
    return redirect(_safe_next(request, reverse("volunteers:me")))


def teams(request):
    return render(request, "volunteers/teams.html", {"teams": list(selectors.team_list())})


def team(request, pk: int):
    last_event_id = current_event_id()  # before reading: replay covers whatever happens after
    team = selectors.team_get(pk)  # NotFound: 404 (govern.pages)
    page = None
    if selectors.may_see_team_members(request.user, team):
        page = Paginator(selectors.team_members(team), PAGE_SIZE).get_page(request.GET.get("page"))
    leaders = selectors.team_leaders(team)
    may_review = request.user.is_authenticated and (
        is_dispatcher(request.user) or any(leader.user_id == request.user.pk for leader in leaders)
    )
    records = (
        list(selectors.service_records_for_review(viewer=request.user, team_id=team.pk)[:PAGE_SIZE])
        if may_review
        else []
    )
    if page is not None:
        for member in page.object_list:
            member.stars = recognition.star_level(member.service_minutes)
    context = {
        "team": team,
        "members": page.object_list if page is not None else None,
        "page": page,
        "leaders": leaders,
        "may_review": may_review,
        "records": records,
        "service_hours": round(team.service_minutes / 60, 1),
        "star_counts": recognition.team_star_counts(team.pk),
        "labels": {"status": STATUS_LABELS, "records": RECORD_LABELS, "text": _page_texts()},
        "last_event_id": last_event_id,
    }
    return render(request, "volunteers/team.html", context)
