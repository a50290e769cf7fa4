"""Back-office admin for volunteers. State changes (approval, duty, minutes) go through the services;
admins never edit a status or a counter directly. Roster import/export is CSV (volunteers.roster)."""

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
from govern.roles import is_dispatcher
from volunteers import roster, selectors, service_records, services
from volunteers.models import (
    AvailabilitySlot,
    ServiceCertificate,
    ServiceRecord,
    ServiceRecordStatus,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
    VolunteerStatusChange,
)


class DispatcherAdminMixin:
    """Staff dispatchers manage volunteers without per-model permissions (the role is the grant)."""

    def _dispatcher(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and is_dispatcher(request.user)

    def has_module_permission(self, request):
        return self._dispatcher(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._dispatcher(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._dispatcher(request) or super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self._dispatcher(request) or super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self._dispatcher(request) or super().has_delete_permission(request, obj)


@admin.register(Skill)
class SkillAdmin(DispatcherAdminMixin, admin.ModelAdmin):
    list_display = ("slug", "name", "name_en", "is_active")
    list_editable = ("is_active",)
    search_fields = ("slug", "name", "name_en")


@admin.register(Team)
class TeamAdmin(DispatcherAdminMixin, admin.ModelAdmin):
    list_display = ("name", "community", "member_count", "service_hours")
    list_filter = ("community",)
    search_fields = ("name", "community__name")

    def get_queryset(self, request):
        return selectors.team_list()

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team):
        return team.member_count

    @admin.display(description=_("service hours"), ordering="service_minutes")
    def service_hours(self, team):
        return round(team.service_minutes / 60, 1)


class VolunteerSkillInline(admin.TabularInline):
    model = VolunteerSkill
    extra = 0
    autocomplete_fields = ("skill",)


class AvailabilityInline(admin.TabularInline):
    model = AvailabilitySlot
    extra = 0


class StatusChangeInline(admin.TabularInline):
    model = VolunteerStatusChange
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class VolunteerAdminForm(forms.ModelForm):
    class Meta:
        model = Volunteer
        fields = ("real_name", "phone", "community", "team", "is_team_leader", "max_active_tasks")

    def clean(self):
        data = super().clean()
        team, community = data.get("team"), data.get("community")
        if team is not None and community is not None and team.community_id != community.pk:
            self.add_error("team", gettext("This team belongs to another community."))
        if data.get("is_team_leader") and (team is None or self.instance.status != VolunteerStatus.APPROVED):
            self.add_error("is_team_leader", gettext("A team leader must be an approved member of a team."))
        return data


@admin.register(Volunteer)
class VolunteerAdmin(DispatcherAdminMixin, admin.ModelAdmin):
    form = VolunteerAdminForm
    change_list_template = "admin/volunteers/volunteer/change_list.html"
    list_display = (
        "real_name",
        "username",
        "phone",
        "community",
        "team",
        "is_team_leader",
        "status",
        "on_duty",
        "position_is_fresh",
        "service_hours",
        "applied_at",
    )
    list_filter = ("status", "on_duty", "community", "team", "is_team_leader", "skills")
    search_fields = ("real_name", "phone", "user__username")
    list_select_related = ("user", "community", "team")
    date_hierarchy = "applied_at"
    readonly_fields = (
        "user",
        "status",
        "status_reason",
        "status_changed_at",
        "on_duty",
        "duty_changed_at",
        "latitude",
        "longitude",
        "position_updated_at",
        "service_minutes",
        "applied_at",
    )
    fieldsets = (
        (None, {"fields": ("user", "real_name", "phone", "community", "team", "is_team_leader", "max_active_tasks")}),
        (_("Status"), {"fields": ("status", "status_reason", "status_changed_at", "applied_at")}),
        (_("Duty"), {"fields": ("on_duty", "duty_changed_at", "latitude", "longitude", "position_updated_at")}),
        (_("Service"), {"fields": ("service_minutes",)}),
    )
    inlines = (VolunteerSkillInline, AvailabilityInline, StatusChangeInline)
    actions = ("approve_selected", "export_selected")

    def has_add_permission(self, request):
        return False  # volunteers apply (or arrive by roster import): both go through the services

    def has_delete_permission(self, request, obj=None):
        # Profiles carry history and service minutes: suspend instead; only model permissions delete.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, volunteer):
        return volunteer.user.username

    @admin.display(description=_("fresh position"), boolean=True)
    def position_is_fresh(self, volunteer):
        return volunteer.position_fresh()

    @admin.display(description=_("service hours"), ordering="service_minutes")
    def service_hours(self, volunteer):
        return round(volunteer.service_minutes / 60, 1)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            services.volunteer_update(
                volunteer_id=obj.pk,
                actor=request.user,
                real_name=data["real_name"],
                phone=data["phone"],
                community_id=data["community"].pk,
                team_id=data["team"].pk if data["team"] else None,
                max_active_tasks=data["max_active_tasks"],
            )
            current = Volunteer.objects.get(pk=obj.pk)
            if current.is_team_leader != data["is_team_leader"]:
                services.team_leader_set(volunteer_id=obj.pk, is_leader=data["is_team_leader"], actor=request.user)
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
        obj.refresh_from_db()

    @admin.action(description=_("Approve selected pending applications"))
    def approve_selected(self, request, queryset):
        approved, problems = 0, []
        for volunteer in queryset.select_related("user").order_by("pk"):
            try:
                services.volunteer_approve(volunteer_id=volunteer.pk, actor=request.user)
                approved += 1
            except DomainError as exc:
                problems.append(f"{volunteer.real_name}: {exc.message}")
        if approved:
            self.message_user(request, gettext("%(n)d volunteers approved.") % {"n": approved}, messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)

    @admin.action(description=_("Export selected as CSV"))
    def export_selected(self, request, queryset):
        return _csv_response(queryset)

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="volunteers_volunteer_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="volunteers_volunteer_export"),
        ]
        return extra + super().get_urls()

    def import_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = RosterImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = roster.roster_import(data=upload.read(), actor=request.user, partial=form.cleaned_data["partial"])
            level = (
                messages.SUCCESS
                if report.committed and report.ok
                else messages.WARNING
                if report.committed
                else messages.ERROR
            )
            self.message_user(request, report.summary(), level)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import a volunteer roster (CSV)"),
            "form": form,
            "report": report,
            "columns": roster.COLUMNS,
            "changelist_url": reverse("admin:volunteers_volunteer_changelist"),
        }
        return TemplateResponse(request, "admin/volunteers/volunteer/import.html", context)

    def export_view(self, request):
        """The current changelist (filters and search applied) as CSV."""
        changelist = self.get_changelist_instance(request)
        return _csv_response(changelist.get_queryset(request))


class RosterImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8 or GB18030 (Excel), header row first."))
    partial = forms.BooleanField(
        label=_("Import the valid rows even if some rows have errors"),
        required=False,
        help_text=_("Off: the file is imported completely or not at all."),
    )


def _csv_response(queryset) -> HttpResponse:
    response = HttpResponse(roster.roster_csv(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="volunteers-{stamp}.csv"'
    return response


@admin.register(ServiceRecord)
class ServiceRecordAdmin(DispatcherAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "volunteer",
        "team",
        "minutes",
        "source",
        "source_ref",
        "served_on",
        "status",
        "reviewed_by",
        "created_at",
    )
    list_filter = ("status", "source", "team")
    search_fields = ("volunteer__real_name", "volunteer__user__username", "source_ref", "note")
    list_select_related = ("volunteer", "volunteer__user", "team", "reviewed_by")
    readonly_fields = (
        "volunteer",
        "team",
        "minutes",
        "source",
        "source_ref",
        "served_on",
        "note",
        "status",
        "submitted_by",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
        "created_at",
    )
    actions = ("approve_selected",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # minutes are history; reject a pending entry instead

    @admin.action(description=_("Approve selected pending service records"))
    def approve_selected(self, request, queryset):
        approved, problems = 0, []
        for record in queryset.filter(status=ServiceRecordStatus.PENDING).order_by("pk"):
            try:
                service_records.service_record_approve(record_id=record.pk, actor=request.user)
                approved += 1
            except DomainError as exc:
                problems.append(f"#{record.pk}: {exc.message}")
        if approved:
            self.message_user(request, gettext("%(n)d service records approved.") % {"n": approved}, messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)


@admin.register(ServiceCertificate)
class ServiceCertificateAdmin(DispatcherAdminMixin, admin.ModelAdmin):
    """Certificates of service hours as issued (what each one states never changes)."""

    list_display = ("code", "real_name", "community_name", "team_name", "service_minutes", "stars", "issued_at")
    search_fields = ("code", "real_name", "volunteer__user__username")
    list_select_related = ("volunteer",)
    readonly_fields = (
        "volunteer",
        "code",
        "real_name",
        "community_name",
        "team_name",
        "service_minutes",
        "stars",
        "issued_at",
        "issued_by",
    )

    def has_add_permission(self, request):
        return False  # issued from the volunteer's page (volunteers.recognition)

    def has_delete_permission(self, request, obj=None):
        return False
