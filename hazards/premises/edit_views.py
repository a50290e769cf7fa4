"""The register's own editing pages (dispatchers): register a premises, correct one. The admin is
for staff accounts, which dispatchers are not; these pages call the same services as the API."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from govern.pages import page_errors
from hazards.premises.forms import SERVICE_FIELDS, PremisesForm
from hazards.premises.models import Premises
from hazards.premises.policy import can_manage
from hazards.premises.services import premises_create, premises_update


def manager_required(view):
    """A page for those who manage the register (hazards.premises.policy): others get the 403 page."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not can_manage(request.user):
            raise DjangoPermissionDenied(_("Only dispatchers edit the premises register."))
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@manager_required
def premises_new_page(request):
    form = PremisesForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        with page_errors(form=form, fields=SERVICE_FIELDS) as failed:
            premises = premises_create(actor=request.user, **form.service_values())
        if not failed:
            messages.success(request, _("Registered."))
            return redirect("premises:detail", pk=premises.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "premises/edit.html", {"form": form, "premises": None}, status=status)


@require_http_methods(["GET", "POST"])
@manager_required
def premises_edit_page(request, pk: int):
    premises = get_object_or_404(Premises.objects.select_related("type", "responsible_user"), pk=pk)
    form = PremisesForm(request.POST or None, initial=PremisesForm.initial_for(premises))
    if request.method == "POST" and form.is_valid():
        with page_errors(form=form, fields=SERVICE_FIELDS) as failed:
            premises_update(actor=request.user, premises_id=premises.pk, **form.service_values())
        if not failed:
            messages.success(request, _("Saved."))
            return redirect("premises:detail", pk=premises.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "premises/edit.html", {"form": form, "premises": premises}, status=status)
