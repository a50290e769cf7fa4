"""Admin of checklists (edited here, items inline) and campaigns (read here; created, assigned
and closed through the services: the API and the office pages, or the actions below)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from govern.errors import DomainError
from hazards.premises.campaigns import services
from hazards.premises.models import Campaign, CampaignPremises, Checklist, ChecklistItem, InspectionResult


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ("order", "text", "text_en", "category", "severity", "photo_required", "active")
    ordering = ("order", "id")


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "premises_type", "active", "item_count", "updated_at")
    list_filter = ("active", "premises_type")
    search_fields = ("name", "name_en", "items__text", "items__text_en")
    list_select_related = ("premises_type",)
    inlines = [ChecklistItemInline]

    @admin.display(description=_("items"))
    def item_count(self, checklist: Checklist) -> int:
        return checklist.items.filter(active=True).count()


class EntryInline(admin.TabularInline):
    model = CampaignPremises
    extra = 0
    can_delete = False
    fields = (
        "premises",
        "inspector",
        "status",
        "findings",
        "assigned_at",
        "done_at",
        "taken_back_at",
        "taken_back_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "status",
        "starts_on",
        "ends_on",
        "premises_total",
        "premises_assigned",
        "premises_done",
        "findings",
        "created_by",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    list_select_related = ("created_by",)
    readonly_fields = (
        "status",
        "selection",
        "created_by",
        "premises_total",
        "premises_assigned",
        "premises_started",
        "premises_done",
        "findings",
        "created_at",
    )
    inlines = [EntryInline]
    actions = ["activate_selected", "close_selected"]

    def has_add_permission(self, request) -> bool:
        return False  # campaigns select their premises through campaign_create (office page or API)

    def _run(self, request, queryset, call, done: str) -> None:
        ok = 0
        for campaign in queryset.order_by("pk"):
            try:
                call(campaign_id=campaign.pk, actor=request.user)
                ok += 1
            except DomainError as exc:
                self.message_user(request, f"{campaign}: {exc.message}", messages.WARNING)
        if ok:
            self.message_user(request, done % {"count": ok}, messages.SUCCESS)

    @admin.action(description=_("Start the selected campaigns"))
    def activate_selected(self, request, queryset):
        self._run(request, queryset, services.campaign_activate, str(_("%(count)d campaign(s) started.")))

    @admin.action(description=_("Close the selected campaigns"))
    def close_selected(self, request, queryset):
        self._run(request, queryset, services.campaign_close, str(_("%(count)d campaign(s) closed.")))


@admin.register(InspectionResult)
class InspectionResultAdmin(admin.ModelAdmin):
    list_display = ("inspection", "item", "outcome", "hazard", "submitted", "recorded_at")
    list_filter = ("outcome", "submitted")
    list_select_related = ("item", "hazard", "inspection")
    raw_id_fields = ("inspection", "item", "hazard")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
