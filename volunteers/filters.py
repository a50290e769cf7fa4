"""Filters of the volunteer list, shared by the API and the back-office pages."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.api_filters import PointFilter, StrictBooleanFilter
from volunteers import conf, selectors
from volunteers.models import Volunteer, VolunteerStatus


class VolunteerFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("radius_m") is not None and not data.get("near"):
            self.add_error("radius_m", _("radius_m needs near=latitude,longitude."))
        return data


class VolunteerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=VolunteerStatus.choices)
    community = django_filters.NumberFilter(field_name="community_id")
    team = django_filters.NumberFilter(field_name="team_id")
    skill = django_filters.CharFilter(
        method="filter_skill",
        help_text=gettext_lazy("Skill slug (or id); only volunteers whose certificate for it has not expired."),
    )
    on_duty = StrictBooleanFilter()
    q = django_filters.CharFilter(
        method="filter_q", help_text=gettext_lazy("Name, mobile number or username contains.")
    )
    near = PointFilter(
        method="filter_near",
        help_text=gettext_lazy(
            "latitude,longitude: only on-duty volunteers within radius_m, nearest first, with distance_m."
        ),
    )
    radius_m = django_filters.NumberFilter(
        method="filter_noop",
        min_value=1,
        max_value=conf.max_near_radius_m(),
        help_text=gettext_lazy("Radius for near, in metres (default 2000)."),
    )

    class Meta:
        model = Volunteer
        fields = ["status", "community", "team", "skill", "on_duty", "near", "radius_m", "q"]
        form = VolunteerFilterForm

    def filter_skill(self, queryset, name, value):
        return selectors.with_valid_skill(queryset, value.strip()) if value.strip() else queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(real_name__icontains=value) | Q(phone__contains=value) | Q(user__username__icontains=value)
        )

    def filter_near(self, queryset, name, value):
        latitude, longitude = value
        radius = self.form.cleaned_data.get("radius_m") or conf.default_near_radius_m()
        return selectors.near(queryset, latitude, longitude, float(radius))

    def filter_noop(self, queryset, name, value):
        return queryset  # radius_m is read by filter_near
