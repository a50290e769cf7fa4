"""Back-office admin of the hazards app: categories and triage rules are edited here; hazards are
read here and triaged through actions that call the services (never by editing the status)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from govern.errors import DomainError
from govern.media.quarantine import delete_originals
from govern.media.writer import delete_files
from hazards.models import Category, Hazard, HazardEvent, HazardPhoto, Task, TriageRule, TriageSuggestion
from hazards.triage.services import hazard_triage


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "name",
        "name_en",
        "icon",
        "default_severity",
        "required_skill",
        "sla_accept_minutes",
        "sla_rectify_minutes",
        "auto_dispatch",
        "sort_order",
        "active",
    )
    list_editable = (
        "default_severity",
        "sla_accept_minutes",
        "sla_rectify_minutes",
        "auto_dispatch",
        "sort_order",
        "active",
    )
    list_filter = ("active", "default_severity")
    search_fields = ("slug", "name", "name_en")
    autocomplete_fields = ()


@admin.register(TriageRule)
class TriageRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "suggest_category", "raise_severity", "priority", "active", "keyword_preview")
    list_editable = ("priority", "active")
    list_filter = ("active", "raise_severity", "suggest_category")
    search_fields = ("name", "keywords")

    @admin.display(description=_("keywords"))
    def keyword_preview(self, rule: TriageRule) -> str:
        words = rule.keyword_list()
        return ", ".join(words[:6]) + (" …" if len(words) > 6 else "")


class PhotoInline(admin.TabularInline):
    model = HazardPhoto
    extra = 0
    can_delete = False
    fields = ("preview", "status", "failure", "width", "height", "original_format", "sha256", "upload_sha256", "phash")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, photo: HazardPhoto) -> str:
        if not photo.thumb:  # still processing, or refused by the full decode: no file to show
            return photo.get_status_display()
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height:96px"></a>', photo.image.url, photo.thumb.url
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = HazardEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SuggestionInline(admin.TabularInline):
    model = TriageSuggestion
    fk_name = "hazard"
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "rule_name",
        "matched",
        "suggested_category",
        "suggested_severity",
        "similar_hazard",
        "distance",
        "applied",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _run(modeladmin, request, queryset, call, done_message) -> None:
    done = 0
    for hazard in queryset.order_by("pk"):
        try:
            call(hazard)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{hazard.tracking_code}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


@admin.register(Hazard)
class HazardAdmin(admin.ModelAdmin):
    list_display = (
        "tracking_code",
        "category",
        "severity",
        "status",
        "grid",
        "community",
        "reporter",
        "source",
        "created_at",
    )
    list_filter = ("status", "severity", "category", "source", "community", "grid")
    search_fields = ("tracking_code", "description", "address", "reporter__username", "reporter__phone")
    date_hierarchy = "created_at"
    list_select_related = ("category", "grid", "community", "reporter")
    readonly_fields = (
        "tracking_code",
        "category",
        "description",
        "severity",
        "status",
        "status_note",
        "latitude",
        "longitude",
        "address",
        "contact_phone",
        "reporter",
        "grid",
        "community",
        "source",
        "api_client",
        "client_data",
        "duplicate_of",
        "created_at",
        "updated_at",
        "status_changed_at",
    )
    inlines = [PhotoInline, SuggestionInline, EventInline]
    actions = ["accept_selected"]

    def has_add_permission(self, request) -> bool:
        return False  # reports come in through the report form, the API or Open311

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    # Deleting rows must not orphan their photo files: remove them once the deletion commits.
    def delete_model(self, request, obj):
        self.delete_queryset(request, Hazard.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        photos = list(HazardPhoto.objects.filter(hazard__in=queryset))
        names = [name for photo in photos for name in photo.file_names()]
        originals = [photo.original for photo in photos if photo.original]  # uploads still waiting for processing
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            transaction.on_commit(lambda: (delete_files(names), delete_originals(originals)))

    @admin.action(description=_("Accept (triage) the selected submitted hazards"))
    def accept_selected(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda hazard: hazard_triage(hazard_id=hazard.pk, actor=request.user, decision="accept"),
            _("%(count)d hazards accepted."),
        )


@admin.register(HazardEvent)
class HazardEventAdmin(admin.ModelAdmin):
    """The audit trail across all hazards (each hazard's page shows its own): read-only."""

    list_display = ("created_at", "hazard", "from_status", "to_status", "actor", "note")
    list_filter = ("to_status", "from_status", "hazard__community", "hazard__grid")
    search_fields = ("hazard__tracking_code", "note", "actor__username")
    list_select_related = ("hazard", "actor")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting stays with Django's default permission: deleting a hazard in the admin cascades
    # to its events, and the admin refuses a cascade into a model the user may not delete.
    actions = None


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read-only view of tasks: every change goes through hazards.dispatch.services (the API and
    /tasks/); the escalation action runs the same pass as the beat job."""

    list_display = (
        "id",
        "hazard",
        "assignee",
        "assignee_kind",
        "status",
        "overdue",
        "offered_at",
        "accept_deadline",
        "due_at",
        "verified_at",
        "proof_flagged",
    )
    list_filter = ("status", "overdue", "proof_flagged", "assignee_kind", "hazard__grid")
    search_fields = ("hazard__tracking_code", "assignee__username", "assignee__display_name")
    list_select_related = ("hazard", "assignee")
    actions = ["run_escalation"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Run escalation now (expire late offers, flag overdue tasks)"))
    def run_escalation(self, request, queryset):
        from hazards.dispatch.escalation import tasks_escalate

        outcome = tasks_escalate()
        self.message_user(
            request,
            _("Expired %(e)d, re-offered %(r)d, newly overdue %(o)d.")
            % {"e": outcome.expired, "r": outcome.reoffered, "o": outcome.overdue},
            messages.INFO,
        )
