"""The fields of a premises, checked: one function for the services, the admin and the CSV import
(which collects every problem of a row instead of stopping at the first)."""

from __future__ import annotations

import math
import re
from typing import Any

from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from govern.models import User
from govern.selectors import grid_for_point
from hazards.premises.models import PremisesType

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_./-]{0,39}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# A landline with area code (0512-63251234), a mobile, or an extension: digits, spaces, dashes, +.
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")

# field name -> maximum length, for the text fields
TEXT_LIMITS = {
    "name": 120,
    "address": 200,
    "street": 80,
    "contact_name": 60,
    "responsible_name": 60,
    "notes": 2000,
}
REQUIRED = ("code", "name", "type", "address", "latitude", "longitude", "responsible_name")
FIELDS = (
    "code",
    "name",
    "type",
    "address",
    "street",
    "latitude",
    "longitude",
    "contact_name",
    "contact_phone",
    "responsible_name",
    "responsible_phone",
    "responsible_user",
    "active",
    "notes",
)
UPDATABLE = frozenset(FIELDS)


def _coordinate(value, name: str, low: float, high: float, errors: dict) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = _("%(field)s must be a number.") % {"field": name}
        return None
    if not math.isfinite(number) or not (low <= number <= high):
        errors[name] = _("%(field)s must be between %(low)s and %(high)s.") % {"field": name, "low": low, "high": high}
        return None
    return number


def clean_fields(
    values: dict[str, Any], *, types: dict[str, PremisesType] | None = None, creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the given fields: (cleaned values, {field: problem}). Only the keys present are checked,
    except that creating needs every REQUIRED field. `type` is a slug (→ PremisesType),
    `responsible_user` a user id or None (→ User). Latitude and longitude, when either is given,
    also give `grid` (or an error when the point lies outside every grid)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    unknown = set(values) - UPDATABLE
    if unknown:
        raise TypeError(f"unknown premises fields: {sorted(unknown)}")
    for name, value in values.items():
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL refuses NUL in text columns
            errors[name] = _("%(field)s contains a NUL character.") % {"field": name}
    if creating:
        for name in REQUIRED:
            value = values.get(name)
            if name not in errors and (value is None or (isinstance(value, str) and not value.strip())):
                errors[name] = _("%(field)s is required.") % {"field": name}
    for name, limit in TEXT_LIMITS.items():
        if name in values and name not in errors:
            text = (values[name] or "").strip()
            if name in REQUIRED and not text:
                errors[name] = _("%(field)s is required.") % {"field": name}
            elif len(text) > limit:
                errors[name] = _("%(field)s is too long (at most %(n)d characters).") % {"field": name, "n": limit}
            else:
                cleaned[name] = text
    if "code" in values and "code" not in errors:
        code = (values["code"] or "").strip()
        if not CODE_RE.match(code):
            errors["code"] = _("code must be 1 to 40 letters, digits or _ . / - (no spaces).")
        else:
            cleaned["code"] = code
    if "type" in values and "type" not in errors:
        slug = (values["type"] or "").strip()
        premises_type = (types or {}).get(slug) if types is not None else PremisesType.objects.filter(slug=slug).first()
        if premises_type is None:
            known = types.keys() if types is not None else PremisesType.objects.values_list("slug", flat=True)
            errors["type"] = _("Unknown premises type %(slug)s; choose from: %(valid)s.") % {
                "slug": slug,
                "valid": ", ".join(sorted(known)),
            }
        else:
            cleaned["type"] = premises_type
    if "contact_phone" in values and "contact_phone" not in errors:
        phone = (values["contact_phone"] or "").strip()
        if phone and not PHONE_RE.match(phone):
            errors["contact_phone"] = _("contact_phone: enter a phone number of 6 to 20 digits, or leave it empty.")
        else:
            cleaned["contact_phone"] = phone
    if "responsible_phone" in values and "responsible_phone" not in errors:
        phone = re.sub(r"[\s-]", "", values["responsible_phone"] or "")
        if phone and not MOBILE_RE.match(phone):
            errors["responsible_phone"] = _(
                "responsible_phone %(p)s is not a mainland China mobile number (11 digits, 13–19)."
            ) % {"p": phone}
        else:
            cleaned["responsible_phone"] = phone
    if "responsible_user" in values:
        user_id = values["responsible_user"]
        if user_id in (None, ""):
            cleaned["responsible_user"] = None
        else:
            user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
            if user is None:
                errors["responsible_user"] = _("responsible_user: no active account with id %(id)s.") % {"id": user_id}
            else:
                cleaned["responsible_user"] = user
    if "active" in values:
        if not isinstance(values["active"], bool):
            errors["active"] = _("active must be true or false.")
        else:
            cleaned["active"] = values["active"]
    if "latitude" in values or "longitude" in values:
        latitude = (
            _coordinate(values.get("latitude"), "latitude", -90, 90, errors) if "latitude" not in errors else None
        )
        longitude = (
            _coordinate(values.get("longitude"), "longitude", -180, 180, errors) if "longitude" not in errors else None
        )
        if latitude is not None and longitude is not None:
            grid = grid_for_point(latitude, longitude)
            if grid is None:
                errors["latitude"] = _(
                    "latitude/longitude: the point %(lat)s, %(lng)s lies outside every grid of the district."
                ) % {"lat": latitude, "lng": longitude}
            else:
                cleaned.update(latitude=latitude, longitude=longitude, grid=grid)
    return cleaned, errors


def _raise_first(errors: dict[str, str]) -> None:
    if errors:
        field = next(iter(errors))
        raise InvalidInput(errors[field], field=field)


def raise_first(errors: dict[str, str]) -> None:
    """The first problem as an InvalidInput naming its field (a service stops at one)."""
    if errors:
        field = next(iter(errors))
        raise InvalidInput(errors[field], field=field)
