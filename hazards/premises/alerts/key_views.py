"""An enterprise's sensor keys, for dispatchers: the keys issued (prefix, active), issuing a new
one, shown once on the answer to the POST (never stored, never shown again), and revoking one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from govern.pages import flash_errors, page_errors
from hazards.premises.alerts import selectors
from hazards.premises.alerts.services import sensor_key_issue, sensor_key_revoke
from hazards.premises.edit_views import manager_required
from hazards.premises.models import Premises


class KeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("key name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Defaults to the enterprise's name; the key itself is shown once."),
    )


ISSUED = "issued_sensor_key"  # the session key holding a new key until the page after the POST shows it


@never_cache
@require_http_methods(["GET", "POST"])
@manager_required
def sensor_keys_page(request, pk: int):
    premises = get_object_or_404(Premises.objects.select_related("type"), pk=pk)
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with page_errors(form=form) as failed:
            key, raw = sensor_key_issue(actor=request.user, premises_id=premises.pk, name=form.cleaned_data["name"])
        if not failed:
            # Shown on the page this redirects to, then forgotten: reloading it issues nothing more.
            request.session[ISSUED] = {"premises": premises.pk, "key": key.pk, "raw": raw}
            return redirect("alerts-sensor-keys", pk=premises.pk)
    issued = request.session.pop(ISSUED, None) if request.method == "GET" else None
    keys = selectors.sensor_keys(premises_id=premises.pk)
    if issued and issued.get("premises") == premises.pk:
        issued["key"] = next((k for k in keys if k.pk == issued["key"]), None)
    else:
        issued = None
    context = {
        "premises": premises,
        "form": form,
        "issued": issued,
        "keys": keys,
        "for_enterprise": premises.type.slug == selectors.ENTERPRISE_TYPE,
    }
    return render(request, "premises/alerts/keys.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@manager_required
def sensor_key_revoke_page(request, pk: int, key_id: int):
    with flash_errors(request) as failed:
        key = sensor_key_revoke(actor=request.user, premises_id=pk, key_id=key_id)
    if not failed:
        messages.success(request, _("Revoked: %(name)s no longer works.") % {"name": key.api_client.name})
    return redirect("alerts-sensor-keys", pk=pk)
