"""Back-office admin of the premises register. Saves go through the services (grid computed from the
point, phones checked); CSV import and export use hazards.premises.imports."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govern.errors import DomainError
from hazards.premises import imports, services
from hazards.premises.clean import FIELDS, clean_fields
from hazards.premises.models import Premises, PremisesHazard, PremisesType
from hazards.premises.policy import can_manage


class ManagerAdminMixin:
    """Staff dispatchers keep the register without per-model permissions (the role is the grant)."""

    def _manager(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and can_manage(request.user)

    def has_module_permission(self, request):
        return self._manager(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._manager(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._manager(request) or super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self._manager(request) or super().has_add_permission(request)


@admin.register(PremisesType)
class PremisesTypeAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ("slug", "name", "name_en", "sort_order")
    ordering = ("sort_order", "id")


class PremisesAdminForm(forms.ModelForm):
    """The admin form: the grid is not asked for (computed from the point); the service validates
    everything else and its errors land on the field they name."""

    class Meta:
        model = Premises
        fields = FIELDS

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        values = {name: data.get(name) for name in FIELDS}
        values["type"] = data["type"].slug if data.get("type") else ""
        values["responsible_user"] = data["responsible_user"].pk if data.get("responsible_user") else None
        creating = self.instance.pk is None
        cleaned, errors = clean_fields(values, creating=creating)
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        duplicate = Premises.objects.filter(code=cleaned.get("code", "")).exclude(pk=self.instance.pk)
        if "code" in cleaned and duplicate.exists():
            self.add_error("code", gettext("code %(code)s is already registered.") % {"code": cleaned["code"]})
        self.cleaned_values = cleaned
        return data


@admin.register(Premises)
class PremisesAdmin(ManagerAdminMixin, admin.ModelAdmin):
    form = PremisesAdminForm
    change_list_template = "admin/premises/premises/change_list.html"
    list_display = ("code", "name", "type", "street", "grid", "responsible_name", "active")
    list_filter = ("type", "active", "grid")
    search_fields = ("code", "name", "address", "street", "responsible_name")
    list_select_related = ("type", "grid")
    raw_id_fields = ("responsible_user",)
    fields = (*FIELDS, "grid", "created_at", "updated_at")
    readonly_fields = ("grid", "created_at", "updated_at")
    actions = ("export_selected",)

    def save_model(self, request, obj, form, change):
        try:
            if change:
                saved = services.premises_update(actor=request.user, premises_id=obj.pk, **_service_values(form))
            else:
                saved = services.premises_create(actor=request.user, **_service_values(form))
            obj.pk = saved.pk
            obj.grid_id = saved.grid_id
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)

    @admin.action(description=_("Export selected as CSV"))
    def export_selected(self, request, queryset):
        return _csv_response(queryset)

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="premises_premises_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="premises_premises_export"),
        ]
        return extra + super().get_urls()

    def import_view(self, request):
        if not can_manage(request.user):
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            report = imports.premises_import(data=form.cleaned_data["file"].read(), actor=request.user)
            self.message_user(request, report.summary(), messages.SUCCESS if report.committed else messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import the premises register (CSV)"),
            "form": form,
            "report": report,
            "columns": imports.COLUMNS,
            "changelist_url": reverse("admin:premises_premises_changelist"),
        }
        return TemplateResponse(request, "admin/premises/premises/import.html", context)

    def export_view(self, request):
        changelist = self.get_changelist_instance(request)
        return _csv_response(changelist.get_queryset(request))


def _service_values(form) -> dict:
    data = form.cleaned_data
    values = {name: data.get(name) for name in FIELDS}
    values["type"] = data["type"].slug
    values["responsible_user"] = data["responsible_user"].pk if data.get("responsible_user") else None
    for name in ("street", "contact_name", "contact_phone", "responsible_phone", "notes"):
        values[name] = values[name] or ""
    return values


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8 or GB18030 (Excel), header row first."))


def _csv_response(queryset) -> HttpResponse:
    response = HttpResponse(imports.export_csv(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="premises-{stamp}.csv"'
    return response


@admin.register(PremisesHazard)
class PremisesHazardAdmin(ManagerAdminMixin, admin.ModelAdmin):
    list_display = ("premises", "hazard", "origin", "created_at")
    list_filter = ("origin",)
    list_select_related = ("premises", "hazard")
    raw_id_fields = ("premises", "hazard")

    def has_add_permission(self, request):
        return False  # links are made by services.premises_link_hazard (inspections, sensors, reports)

    def has_change_permission(self, request, obj=None):
        return False  # the history is kept as it happened


# Sensor alerts (issue 12): their admin lives with them.
from hazards.premises.alerts import admin as _alerts_admin  # noqa: E402,F401
from hazards.premises.campaigns import admin as _campaigns_admin  # noqa: E402,F401  (registers checklists and campaigns)
