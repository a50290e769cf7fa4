"""An enterprise's sensor keys, for dispatchers: the keys issued (prefix, active) and issuing a
new one, shown once on the answer to the POST (never stored, never shown again)."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from govern.pages import page_errors
from hazards.premises.alerts import selectors
from hazards.premises.alerts.services import sensor_key_issue
from hazards.premises.edit_views import manager_required
from hazards.premises.models import Premises


class KeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("key name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Defaults to the enterprise's name; the key itself is shown once."),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@manager_required
def sensor_keys_page(request, pk: int):
    premises = get_object_or_404(Premises.objects.select_related("type"), pk=pk)
    form = KeyForm(request.POST or None)
    issued, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            with page_errors(form=form) as failed:
                key, raw = sensor_key_issue(actor=request.user, premises_id=premises.pk, name=form.cleaned_data["name"])
                issued = {"key": key, "raw": raw}
            status = failed.status_code if failed else 200
            if not failed:
                form = KeyForm()
    context = {
        "premises": premises,
        "form": form,
        "issued": issued,
        "keys": selectors.sensor_keys(premises_id=premises.pk),
        "for_enterprise": premises.type.slug == selectors.ENTERPRISE_TYPE,
    }
    return render(request, "premises/alerts/keys.html", context, status=status)
