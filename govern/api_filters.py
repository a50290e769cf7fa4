"""Query-parameter filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from govern.geo import parse_bbox, parse_point

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


class CommaChoiceField(forms.Field):
    """`a,b,c` → ["a", "b", "c"], each one of the choices."""

    def __init__(self, *, values, **kwargs):
        self.valid = [str(v) for v in values]
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        items = [item.strip() for item in str(value).split(",") if item.strip()]
        bad = [item for item in items if item not in self.valid]
        if bad:
            # Values go in `params`, never into the message: django-filter %-formats the message
            # again, so a "%" in the query string was a 500 (found by schemathesis).
            raise forms.ValidationError(
                _("Unknown value %(bad)s; choose from: %(valid)s."),
                params={"bad": ", ".join(bad), "valid": ", ".join(self.valid)},
            )
        return items


class CommaSlugField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return []
        if "\x00" in str(value):
            # PostgreSQL refuses NUL in text (DataError, a 500; found by schemathesis).
            raise forms.ValidationError(_("Null characters are not allowed."), code="null_characters_not_allowed")
        return [item.strip() for item in str(value).split(",") if item.strip()][:50]


# Ids are 64-bit database keys: a bigger number was a 500 on SQLite ("Python int too large to convert
# to SQLite INTEGER"; issue 21 item 12), so it is refused like any other id that is not one.
ID_MAX = 2**63 - 1


class CommaIntField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return []
        try:
            ids = [int(item) for item in str(value).split(",") if item.strip()][:200]
        except ValueError:
            raise forms.ValidationError(_("Give one id or a comma-separated list of ids (numbers)."))
        if any(not 1 <= item <= ID_MAX for item in ids):
            raise forms.ValidationError(
                _("Ids are whole numbers from 1 to %(max)d."), params={"max": ID_MAX}, code="invalid"
            )
        return ids


class BBoxField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise forms.ValidationError("%(reason)s", params={"reason": str(exc)})


@extend_schema_field(OpenApiTypes.STR)
class ListFilter(django_filters.Filter):
    """A filter whose field yields a list; an empty list filters nothing."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class CommaChoiceFilter(ListFilter):
    field_class = CommaChoiceField


class CommaSlugFilter(ListFilter):
    field_class = CommaSlugField


class CommaIntFilter(ListFilter):
    field_class = CommaIntField


@extend_schema_field(OpenApiTypes.STR)
class BBoxFilter(django_filters.Filter):
    field_class = BBoxField


# Dates far from today overflow on the way to the database (year 1 at +08:00 is before year 1 in
# UTC; SQLite's adapter then fails): a 500 on the API and office exports that never answered
# (issue 21 item 12). Refused as a 400 naming the parameter instead.
DATE_MIN = dt.date(1970, 1, 1)
DATE_MAX = dt.date(9000, 1, 1)


def _check_date_range(value: dt.date) -> None:
    if not DATE_MIN <= value < DATE_MAX:
        raise forms.ValidationError(
            _("Give a date between %(min)s and %(max)s."),
            params={"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
            code="invalid",
        )


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:  # moving year 1 or 9999 into the current time zone
            _check_date_range(dt.date.min)
        if parsed is not None:
            _check_date_range(parsed.date())
        return parsed


class BoundedDateField(forms.DateField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None:
            _check_date_range(parsed)
        return parsed


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class DateFilter(django_filters.DateFilter):
    field_class = BoundedDateField
