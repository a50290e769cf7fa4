"""Back office for rewards. The ledger is read-only here: every change goes through a service
(adjust, reverse, cancel), never through an edit form."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govern.errors import DomainError, InvalidInput
from rewards import catalog, clawback, ledger, redemptions
from rewards.clean import check_audience
from rewards.models import (
    Audience,
    Coupon,
    EarningRule,
    Merchant,
    PointsAccount,
    PointsAward,
    PointsClawback,
    PointsEntry,
    Redemption,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only: append-only records are never added, edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- earning rules ----------------------------------------------------------------------------


class EarningRuleForm(forms.ModelForm):
    class Meta:
        model = EarningRule
        fields = ("code", "name", "description", "points", "per_minutes", "severity_factors", "active")

    def clean_severity_factors(self):
        factors = self.cleaned_data.get("severity_factors") or {}
        if not isinstance(factors, dict):
            raise forms.ValidationError(_('Use an object like {"low": 1, "high": 2}.'))
        for name, value in factors.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise forms.ValidationError(_("The factor of %(name)s must be a positive number.") % {"name": name})
        return factors


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    form = EarningRuleForm
    list_display = ("code", "name", "points", "per_minutes", "severity_factors", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")


# --- accounts and the ledger --------------------------------------------------------------------


class AdjustForm(forms.Form):
    amount = forms.IntegerField(label=_("Points (negative to deduct)"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


def _intermediate(modeladmin, request, queryset, *, form, title, action, submit):
    return TemplateResponse(
        request,
        "rewards/admin/intermediate_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "objects": queryset,
            "action": action,
            "submit": submit,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "display_name", "balance", "show_on_leaderboard", "updated_at")
    list_filter = ("show_on_leaderboard",)
    search_fields = ("user__username", "user__display_name", "user__phone")
    list_select_related = ("user",)
    actions = ["adjust_points"]

    @admin.display(description=_("display name"))
    def display_name(self, account):
        return account.user.display_name

    @admin.action(description=_("Adjust the points of the selected accounts (with a reason)"))
    def adjust_points(self, request, queryset):
        form = AdjustForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                entries = ledger.points_adjust_bulk(
                    user_ids=list(queryset.values_list("user_id", flat=True)),
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(
                    request, gettext("%(n)d account(s) adjusted.") % {"n": len(entries)}, messages.SUCCESS
                )
            return None
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            title=gettext("Adjust points"),
            action="adjust_points",
            submit=gettext("Adjust"),
        )


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "account",
        "amount",
        "kind",
        "reason",
        "balance_after",
        "source_type",
        "source_id",
        "actor",
        "created_at",
    )
    list_filter = ("kind", "rule", "created_at")
    search_fields = ("account__user__username", "reason", "source_type", "source_id", "idempotency_key")
    list_select_related = ("account__user", "actor")
    date_hierarchy = "created_at"
    actions = ["reverse_entries"]

    @admin.action(description=_("Reverse the selected entries (with a reason)"))
    def reverse_entries(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for entry_id in queryset.order_by("id").values_list("id", flat=True):
                try:
                    ledger.points_reverse(entry_id=entry_id, reason=form.cleaned_data["reason"], actor=request.user)
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"#{entry_id}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, gettext("%(n)d entry(ies) reversed.") % {"n": done}, messages.SUCCESS)
            return None
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            title=gettext("Reverse entries"),
            action="reverse_entries",
            submit=gettext("Reverse"),
        )


@admin.register(PointsAward)
class PointsAwardAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "rule",
        "user",
        "source_type",
        "source_id",
        "severity",
        "points_due",
        "points_paid",
        "actor",
        "created_at",
    )
    list_filter = ("rule",)
    search_fields = ("user__username", "source_type", "source_id")
    list_select_related = ("rule", "user", "actor")


class OpenShortfallFilter(admin.SimpleListFilter):
    title = _("shortfall")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("1", _("open shortfalls (for a dispatcher)"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(shortfall__gt=0, resolved_at__isnull=True)
        return queryset


@admin.register(PointsClawback)
class PointsClawbackAdmin(ReadOnlyAdmin):
    """Claw-backs of reopened verifications; the open shortfalls are the dispatcher's to resolve."""

    list_display = (
        "id",
        "award",
        "points_paid",
        "points_taken",
        "shortfall",
        "reason",
        "created_at",
        "resolved_at",
        "resolved_by",
    )
    list_filter = (OpenShortfallFilter,)
    search_fields = ("award__user__username", "award__source_id", "reason")
    list_select_related = ("award__rule", "award__user", "resolved_by")
    actions = ["resolve"]

    @admin.action(description=_("Mark the selected shortfalls resolved"))
    def resolve(self, request, queryset):
        done = 0
        for clawback_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                clawback.points_clawback_resolve(clawback_id=clawback_id, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{clawback_id}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, gettext("%(n)d shortfall(s) resolved.") % {"n": done}, messages.SUCCESS)


# --- catalog ----------------------------------------------------------------------------------


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "phone", "staff_count", "active")
    list_filter = ("active",)
    search_fields = ("name", "address")
    filter_horizontal = ("staff",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(staff_total=Count("staff", distinct=True))

    @admin.display(description=_("staff"), ordering="staff_total")
    def staff_count(self, merchant):
        return merchant.staff_total

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalog.merchant_staff_grant_role(merchant_id=form.instance.pk)


class CouponForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = (
            "merchant",
            "title",
            "description",
            "kind",
            "image",
            "cost",
            "stock_total",
            "per_user_limit",
            "valid_from",
            "valid_until",
            "code_valid_for",
            "active",
            "audience",
            "audience_teams",
            "audience_community",
            "audience_min_hours",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].required = False  # left out: everyone, as before audiences existed

    def clean_audience(self):
        return self.cleaned_data.get("audience") or Audience.EVERYONE

    def clean(self):
        data = super().clean()
        try:
            check_audience(
                audience=data.get("audience") or "",
                community_id=getattr(data.get("audience_community"), "pk", None),
                min_hours=data.get("audience_min_hours"),
                team_ids=[t.pk for t in data.get("audience_teams") or ()],
            )
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc.message))
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("valid_until must be after valid_from."))
        if self.instance.pk and data.get("stock_total") is not None:
            holding = self.instance.stock_total - self.instance.stock_remaining
            if data["stock_total"] < holding:
                self.add_error(
                    "stock_total",
                    gettext("The total stock cannot be below the %(n)d codes already issued or used.") % {"n": holding},
                )
        return data


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponForm
    list_display = (
        "title",
        "merchant",
        "kind",
        "cost",
        "stock_remaining",
        "stock_total",
        "per_user_limit",
        "valid_until",
        "active",
        "review",
    )
    list_filter = ("review", "active", "kind", "merchant")
    search_fields = ("title", "merchant__name")
    list_select_related = ("merchant",)
    # A merchant's proposal is approved or returned on /office/coupon-proposals/ (rewards.proposals).
    readonly_fields = ("stock_remaining", "review", "review_reason", "proposed_by", "reviewed_by", "reviewed_at")

    def save_model(self, request, obj, form, change):
        """Stock and images go through the services (remaining stock follows the total; images
        are re-encoded)."""
        data = dict(form.cleaned_data)
        image = data.pop("image", None)
        upload = image if isinstance(image, UploadedFile) else None
        merchant = data.pop("merchant")
        stock_total = data.pop("stock_total")
        data["audience_team_ids"] = [t.pk for t in data.pop("audience_teams", None) or ()]
        community = data.pop("audience_community", None)
        data["audience_community_id"] = community.pk if community is not None else None
        if change:
            coupon = catalog.coupon_update(
                coupon_id=obj.pk,
                merchant_id=merchant.pk,
                stock_total=stock_total,
                image=upload,
                remove_image=image is False,
                **data,
            )
        else:
            coupon = catalog.coupon_create(merchant_id=merchant.pk, stock_total=stock_total, image=upload, **data)
        obj.pk = coupon.pk
        obj.refresh_from_db()


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = (
        "display_code",
        "coupon",
        "user",
        "status",
        "cost",
        "created_at",
        "expires_at",
        "used_at",
        "used_by",
    )
    list_filter = ("status", "coupon__merchant")
    search_fields = ("code", "user__username", "user__display_name", "coupon__title")
    list_select_related = ("coupon__merchant", "user", "used_by")
    date_hierarchy = "created_at"
    actions = ["cancel_and_refund", "expire_overdue"]

    @admin.action(description=_("Cancel the selected unused codes and refund them"))
    def cancel_and_refund(self, request, queryset):
        done = 0
        for redemption_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                redemptions.redemption_cancel(redemption_id=redemption_id, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{redemption_id}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, gettext("%(n)d code(s) cancelled and refunded.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Expire every overdue code now (refunds)"))
    def expire_overdue(self, request, queryset):
        done = redemptions.redemptions_expire_due()
        self.message_user(request, gettext("%(n)d code(s) expired and refunded.") % {"n": done}, messages.SUCCESS)
