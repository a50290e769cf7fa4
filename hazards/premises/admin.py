from django.contrib import admin

from hazards.premises.models import Premises, PremisesHazard, PremisesType


@admin.register(PremisesType)
class PremisesTypeAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "name_en", "sort_order")
    ordering = ("sort_order", "id")


@admin.register(Premises)
class PremisesAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "type", "street", "grid", "responsible_name", "active")
    list_filter = ("type", "active", "grid")
    search_fields = ("code", "name", "address", "street", "responsible_name")
    list_select_related = ("type", "grid")
    raw_id_fields = ("responsible_user",)


@admin.register(PremisesHazard)
class PremisesHazardAdmin(admin.ModelAdmin):
    list_display = ("premises", "hazard", "origin", "created_at")
    list_filter = ("origin",)
    list_select_related = ("premises", "hazard")
    raw_id_fields = ("premises", "hazard")


from hazards.premises.campaigns import admin as _campaigns_admin  # noqa: E402,F401  (registers checklists and campaigns)
