"""The fields of a new report, checked before anything is written (web form, REST API, Open311
and the sensor and inspection services all file through hazards.reports.services)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from govern.geo import valid_coordinates
from hazards.core.clean import DESCRIPTION_MAX, clean_severity
from hazards.models import Category

ADDRESS_MAX = 200
CONTACT_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


@dataclass(frozen=True)
class ReportFields:
    category: Category
    description: str
    latitude: float
    longitude: float
    address: str
    contact_phone: str
    severity: str | None  # as stated by the client (never lowers the category's default)

    def columns(self) -> dict:
        """The Hazard columns these fields fill as they are."""
        names = ("category", "description", "latitude", "longitude", "address", "contact_phone")
        return {name: getattr(self, name) for name in names}


def clean_report_fields(
    *,
    category_slug,
    description,
    latitude,
    longitude,
    address,
    contact_phone,
    severity,
    description_max: int = DESCRIPTION_MAX,
) -> ReportFields:
    category = Category.objects.filter(slug=str(category_slug or "").strip(), active=True).first()
    if category is None:
        raise InvalidInput(_("Choose a hazard category from the list."), field="category")
    description = (description or "").strip()
    if not description:
        raise InvalidInput(_("Describe the hazard in a few words."), field="description")
    if len(description) > description_max:
        raise InvalidInput(
            _("The description is too long: at most %(max)d characters.") % {"max": description_max},
            field="description",
        )
    for name, value in (("latitude", latitude), ("longitude", longitude)):
        if value in (None, ""):
            raise InvalidInput(
                _("The location is missing: share your location or place the pin on the map."), field=name
            )
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise InvalidInput(_("Latitude and longitude must be numbers."), field="latitude")
    if not valid_coordinates(latitude, longitude):
        raise InvalidInput(_("Latitude must be within -90..90 and longitude within -180..180."), field="latitude")
    address = (address or "").strip()
    if len(address) > ADDRESS_MAX:
        raise InvalidInput(_("The address is too long: at most 200 characters."), field="address")
    contact_phone = (contact_phone or "").strip()
    if contact_phone and not CONTACT_PHONE_RE.match(contact_phone):
        raise InvalidInput(_("Enter a phone number of 6 to 20 digits, or leave it empty."), field="contact_phone")
    return ReportFields(category, description, latitude, longitude, address, contact_phone, clean_severity(severity))
