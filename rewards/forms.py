"""Page forms of the rewards app: they check the shape of the input; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govern.models import Community
from rewards.models import Audience, Coupon, CouponKind

# Service errors name API fields; map them onto the proposal form's fields.
PROPOSAL_FIELD_MAP = {
    "audience_community": "audience_community",
    "audience_teams": "audience_teams",
    "code_valid_for": "code_valid_days",
    "merchant": "merchant",
}

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CouponProposalForm(forms.Form):
    """What a merchant's staff member proposes (rewards.proposals)."""

    merchant = forms.TypedChoiceField(label=_("Merchant"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CouponKind.choices, initial=CouponKind.DISCOUNT)
    image = forms.FileField(
        label=_("Image (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic"}),
    )
    cost = forms.IntegerField(label=_("Cost in points"), min_value=1, max_value=1_000_000)
    stock_total = forms.IntegerField(label=_("How many coupons"), min_value=1, max_value=100_000)
    per_user_limit = forms.IntegerField(label=_("Limit per person"), min_value=1, max_value=100, initial=1)
    valid_from = forms.DateTimeField(label=_("On offer from"), widget=DATETIME_INPUT)
    valid_until = forms.DateTimeField(label=_("On offer until"), widget=DATETIME_INPUT)
    code_valid_days = forms.IntegerField(
        label=_("A code stays usable for (days)"), min_value=1, max_value=365, initial=7
    )
    audience = forms.ChoiceField(label=_("Who may redeem"), choices=Audience.choices, initial=Audience.EVERYONE)
    audience_teams = forms.TypedMultipleChoiceField(
        label=_("Teams (when only given teams may redeem)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_community = forms.TypedChoiceField(
        label=_("Community (when only one community's volunteers may redeem)"), coerce=int, required=False
    )
    audience_min_hours = forms.IntegerField(
        label=_("Minimum approved hours (when hours are required)"), min_value=1, max_value=100_000, required=False
    )

    def __init__(self, *args, merchants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].choices = [(m.pk, m.name) for m in merchants]
        if len(self.fields["merchant"].choices) == 1:
            self.fields["merchant"].initial = self.fields["merchant"].choices[0][0]
            self.fields["merchant"].widget = forms.HiddenInput()
        # The team model by the relation, not by import (rewards and volunteers never import each other).
        teams = Coupon._meta.get_field("audience_teams").related_model
        self.fields["audience_teams"].choices = list(
            teams.objects.order_by("community_id", "name").values_list("pk", "name")
        )
        self.fields["audience_community"].choices = [("", _("Choose a community"))] + list(
            Community.objects.order_by("id").values_list("pk", "name")
        )
        if not self.is_bound:
            start = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("valid_from", start)
            self.initial.setdefault("valid_until", start + dt.timedelta(days=30))

    def terms(self) -> dict:
        """The cleaned input as rewards.proposals takes it."""
        data = self.cleaned_data
        return {
            "title": data["title"].strip(),
            "description": data["description"].strip(),
            "kind": data["kind"],
            "cost": data["cost"],
            "stock_total": data["stock_total"],
            "per_user_limit": data["per_user_limit"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "code_valid_for": dt.timedelta(days=data["code_valid_days"]),
            "audience": data["audience"],
            "audience_team_ids": data["audience_teams"] or [],
            "audience_community_id": data["audience_community"] or None,
            "audience_min_hours": data["audience_min_hours"],
        }

    @classmethod
    def initial_of(cls, coupon: Coupon) -> dict:
        """A proposal's current terms, to change it."""
        return {
            "merchant": coupon.merchant_id,
            "title": coupon.title,
            "description": coupon.description,
            "kind": coupon.kind,
            "cost": coupon.cost,
            "stock_total": coupon.stock_total,
            "per_user_limit": coupon.per_user_limit,
            "valid_from": timezone.localtime(coupon.valid_from),
            "valid_until": timezone.localtime(coupon.valid_until),
            "code_valid_days": max(1, coupon.code_valid_for.days),
            "audience": coupon.audience,
            "audience_teams": [t.pk for t in coupon.audience_teams.all()],
            "audience_community": coupon.audience_community_id,
            "audience_min_hours": coupon.audience_min_hours,
        }


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Why it is returned"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
