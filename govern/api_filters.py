"""Query-parameter filters shared by the API's FilterSets."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from govern.geo import parse_point

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no, on/off); anything else is an error, not "no filter".

    django-filter's BooleanFilter reads `?overdue=maybe` as absent and returns everything, so a
    client's typo silently widens the result; a 400 naming the parameter is what it needs.
    """

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class PointField(forms.CharField):
    """`near=latitude,longitude` -> (lat, lng); a 400 naming the parameter otherwise."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_point(value)
        except ValueError:
            raise forms.ValidationError(
                _("near must be latitude,longitude: two numbers within range, e.g. 30.905,120.805."), code="invalid"
            )


@extend_schema_field(OpenApiTypes.STR)
class PointFilter(django_filters.Filter):
    field_class = PointField
