"""Writes of the premises register: create, update, and linking a hazard to a premises.

Every field is checked by `clean_fields` (shared with the CSV import, which collects all the
problems of a row instead of stopping at the first). The grid is never given: it is computed from
the point with `govern.selectors.grid_for_point`, and a point outside every grid is refused.

`premises_link_hazard` is the one way a hazard enters a premises' history (inspections, sensor
alerts and reports all call it); it is idempotent and publishes `premises.hazard_linked`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.models import User
from govern.roles import is_dispatcher
from govern.selectors import grid_for_point
from hazards.models import Hazard
from hazards.premises.models import HazardOrigin, Premises, PremisesHazard, PremisesType

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


def can_manage(user) -> bool:
    """Dispatchers (and superusers) edit and import the register; so do staff granted the model permission."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_dispatcher(user) or (user.is_staff and user.has_perm("premises.change_premises"))


def _require_manager(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only dispatchers edit the premises register."))


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


def premises_write(*, premises: Premises | None, cleaned: dict[str, Any]) -> Premises:
    """Save already cleaned values (no checks: callers ran clean_fields). Used by the import too."""
    if premises is None:
        premises = Premises(**cleaned)
    else:
        for name, value in cleaned.items():
            setattr(premises, name, value)
    premises.save()
    return premises


@transaction.atomic
def premises_create(
    *,
    actor: User,
    code: str,
    name: str,
    type: str,  # noqa: A002 - the API's field name
    address: str,
    latitude: float,
    longitude: float,
    responsible_name: str,
    street: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    responsible_phone: str = "",
    responsible_user: int | None = None,
    active: bool = True,
    notes: str = "",
) -> Premises:
    """Register a premises (dispatchers). `type` is a slug, `responsible_user` a user id; the grid
    follows from the point. A code already registered is a 400 naming `code`."""
    _require_manager(actor)
    values = {
        "code": code,
        "name": name,
        "type": type,
        "address": address,
        "street": street,
        "latitude": latitude,
        "longitude": longitude,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "responsible_name": responsible_name,
        "responsible_phone": responsible_phone,
        "responsible_user": responsible_user,
        "active": active,
        "notes": notes,
    }
    cleaned, errors = clean_fields(values, creating=True)
    _raise_first(errors)
    if Premises.objects.filter(code=cleaned["code"]).exists():
        raise InvalidInput(
            _("code %(code)s is already registered.") % {"code": cleaned["code"]}, field="code", code="duplicate"
        )
    try:
        with transaction.atomic():
            return premises_write(premises=None, cleaned=cleaned)
    except IntegrityError:  # registered meanwhile by someone else
        raise InvalidInput(
            _("code %(code)s is already registered.") % {"code": cleaned["code"]}, field="code", code="duplicate"
        ) from None


@transaction.atomic
def premises_update(*, actor: User, premises_id: int, **changes: Any) -> Premises:
    """Change some fields of a premises (dispatchers); the same names and rules as premises_create.
    Moving the point recomputes the grid."""
    _require_manager(actor)
    premises = Premises.objects.select_for_update().filter(pk=premises_id).first()
    if premises is None:
        raise NotFound(_("No such premises."))
    if ("latitude" in changes) != ("longitude" in changes):
        # Moving one coordinate alone keeps the other: the grid is recomputed from both.
        changes.setdefault("latitude", premises.latitude)
        changes.setdefault("longitude", premises.longitude)
    cleaned, errors = clean_fields(changes, creating=False)
    _raise_first(errors)
    if "code" in cleaned and Premises.objects.filter(code=cleaned["code"]).exclude(pk=premises.pk).exists():
        raise InvalidInput(
            _("code %(code)s is already registered.") % {"code": cleaned["code"]}, field="code", code="duplicate"
        )
    try:
        with transaction.atomic():
            return premises_write(premises=premises, cleaned=cleaned)
    except IntegrityError:
        raise InvalidInput(
            _("code %(code)s is already registered.") % {"code": cleaned.get("code", "")},
            field="code",
            code="duplicate",
        ) from None


def hazard_link_data(link: PremisesHazard, hazard: Hazard) -> dict:
    """The `premises.hazard_linked` payload (docs/events.md)."""
    category = hazard.category
    return {
        "premises_id": link.premises_id,
        "origin": link.origin,
        "linked_at": link.created_at.isoformat(),
        "hazard": {
            "id": hazard.pk,
            "tracking_code": hazard.tracking_code,
            "status": hazard.status,
            "severity": hazard.severity,
            "category": category.slug,
            "category_name": category.name,
            "category_name_en": category.name_en,
            "created_at": hazard.created_at.isoformat(),
        },
    }


@transaction.atomic
def premises_link_hazard(*, premises_id: int, hazard_id: int, origin: str) -> PremisesHazard:
    """Put a hazard in a premises' history (idempotent: linking it again returns the same link).

    `origin` is inspection, sensor or report. A hazard belongs to at most one premises: linking it
    to another is a 409. Publishes `premises.hazard_linked` to dispatch, the premises' grid and
    its responsible user once, when the link is made."""
    if origin not in HazardOrigin.values:
        raise InvalidInput(
            _("origin must be one of: %(valid)s.") % {"valid": ", ".join(HazardOrigin.values)}, field="origin"
        )
    premises = Premises.objects.filter(pk=premises_id).only("pk", "grid_id", "responsible_user_id").first()
    if premises is None:
        raise NotFound(_("No such premises."), field="premises_id")
    hazard = Hazard.objects.select_related("category").filter(pk=hazard_id).first()
    if hazard is None:
        raise NotFound(_("No such hazard."), field="hazard_id")

    def existing_link() -> PremisesHazard | None:
        link = PremisesHazard.objects.filter(hazard_id=hazard_id).first()
        if link is not None and link.premises_id != premises_id:
            raise Conflict(_("This hazard is already linked to another premises."), field="hazard_id")
        return link

    link = existing_link()
    if link is not None:
        return link
    try:
        with transaction.atomic():
            link = PremisesHazard.objects.create(premises_id=premises_id, hazard_id=hazard_id, origin=origin)
    except IntegrityError:  # linked concurrently: the one-to-one decided, answer with the winner
        link = existing_link()
        if link is None:
            raise
        return link
    topics = [DISPATCH_TOPIC, grid_topic(premises.grid_id)]
    if premises.responsible_user_id:
        topics.append(user_topic(premises.responsible_user_id))
    publish(topics, "premises.hazard_linked", hazard_link_data(link, hazard))
    return link
