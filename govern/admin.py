from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from govern.api_keys import api_client_issue, api_client_rotate_key
from govern.geo import polygon_from_geojson
from govern.models import ApiClient, Community, Grid, LiveEvent, User
from govern.services import grid_save


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "phone", "is_staff", "is_active", "date_joined")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")
    search_fields = ("username", "display_name", "phone", "email")
    fieldsets = BaseUserAdmin.fieldsets + ((_("govern"), {"fields": ("phone", "display_name")}),)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


class GridAdminForm(forms.ModelForm):
    class Meta:
        model = Grid
        fields = ("community", "name", "code", "boundary", "workers")

    def clean_boundary(self):
        boundary = self.cleaned_data["boundary"]
        try:
            polygon_from_geojson(boundary)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return boundary


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    form = GridAdminForm
    list_display = ("name", "code", "community", "center_latitude", "center_longitude")
    list_filter = ("community",)
    search_fields = ("name", "code")
    filter_horizontal = ("workers",)
    list_select_related = ("community",)

    def save_model(self, request, obj, form, change):
        # Bounding box and centre are derived: the service recomputes them.
        grid_save(
            grid=obj if change else None,
            community=form.cleaned_data["community"],
            code=form.cleaned_data["code"],
            name=form.cleaned_data["name"],
            boundary=form.cleaned_data["boundary"],
        )
        if not change:
            obj.pk = Grid.objects.get(code=form.cleaned_data["code"]).pk

    def save_related(self, request, form, formsets, change):
        form.instance = Grid.objects.get(code=form.cleaned_data["code"])
        super().save_related(request, form, formsets, change)


@admin.register(LiveEvent)
class LiveEventAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "topics", "created_at")
    list_filter = ("type",)
    readonly_fields = ("type", "data", "topics", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Open311 client organisations. A key is shown once, when issued or rotated."""

    list_display = ("name", "key_prefix", "active", "contact_email", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "contact_email", "key_prefix")
    fields = ("name", "contact_email", "active", "key_prefix")
    readonly_fields = ("key_prefix",)
    actions = ["rotate_keys"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, raw_key = api_client_issue(name=obj.name, contact_email=obj.contact_email)
        obj.pk = client.pk
        messages.warning(
            request, _("API key for %(name)s (shown once): %(key)s") % {"name": client.name, "key": raw_key}
        )

    @admin.action(description=_("Rotate the key of the selected clients"))
    def rotate_keys(self, request, queryset):
        for client in queryset:
            raw_key = api_client_rotate_key(client_id=client.pk)
            messages.warning(
                request, _("New API key for %(name)s (shown once): %(key)s") % {"name": client.name, "key": raw_key}
            )
