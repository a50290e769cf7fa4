"""Admin of sensor alerts: rules (editable), sensors (register ahead or relabel), keys (issued
once through the service), and the alert history (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.errors import DomainError
from hazards.premises.alerts.services import enterprise_key_issue
from hazards.premises.models import AlertEvent, AlertRule, EnterpriseKey, Premises, Sensor


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = (
        "metric",
        "premises",
        "category",
        "direction",
        "severity",
        "high_over_percent",
        "critical_over_percent",
        "clear_margin_percent",
        "active",
    )
    list_filter = ("active", "direction", "metric")
    search_fields = ("metric", "premises__name", "premises__code")
    list_select_related = ("premises", "category")
    raw_id_fields = ("premises",)


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    list_display = (
        "sensor_id",
        "label",
        "premises",
        "metric",
        "unit",
        "last_value",
        "last_seen_at",
        "open_hazard",
        "alert_count",
    )
    list_filter = ("metric", "auto_registered")
    search_fields = ("sensor_id", "label", "premises__name", "premises__code")
    list_select_related = ("premises", "open_hazard")
    raw_id_fields = ("premises",)
    readonly_fields = (
        "open_hazard",
        "last_value",
        "last_threshold",
        "last_severity",
        "last_seen_at",
        "alert_count",
        "auto_registered",
    )


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sensor", "kind", "value", "threshold", "severity", "hazard")
    list_filter = ("kind", "severity")
    search_fields = ("sensor__sensor_id", "sensor__premises__name", "hazard__tracking_code")
    list_select_related = ("sensor", "hazard")
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EnterpriseKeyForm(forms.ModelForm):
    name = forms.CharField(
        label=gettext_lazy("key name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Defaults to the enterprise's name; the key itself is shown once."),
    )

    class Meta:
        model = EnterpriseKey
        fields = ("premises",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "premises" in self.fields:
            self.fields["premises"].queryset = Premises.objects.filter(type__slug="enterprise").order_by("name")


@admin.register(EnterpriseKey)
class EnterpriseKeyAdmin(admin.ModelAdmin):
    """Issue a key here (or `manage.py alert_key_issue`); revoke it by deactivating its API client."""

    form = EnterpriseKeyForm
    list_display = ("premises", "api_client", "key_prefix", "active", "created_at")
    list_select_related = ("premises", "api_client")
    search_fields = ("premises__name", "premises__code", "api_client__name")

    @admin.display(description=gettext_lazy("key prefix"))
    def key_prefix(self, obj):
        return obj.api_client.key_prefix

    @admin.display(boolean=True, description=gettext_lazy("active"))
    def active(self, obj):
        return obj.api_client.active

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            key, raw = enterprise_key_issue(
                premises_id=form.cleaned_data["premises"].pk, name=form.cleaned_data.get("name", "")
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return
        obj.pk = key.pk
        messages.warning(
            request, _("Sensor key for %(name)s (shown once): %(key)s") % {"name": key.premises.name, "key": raw}
        )
