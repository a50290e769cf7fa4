"""Writes of the premises register: create, update, and linking a hazard to a premises.

Every field is checked by `hazards.premises.clean.clean_fields` (shared with the CSV import, which
collects all the problems of a row instead of stopping at the first). The grid is never given: it is computed from
the point with `govern.selectors.grid_for_point`, and a point outside every grid is refused.

`premises_link_hazard` is the one way a hazard enters a premises' history (inspections, sensor
alerts and reports all call it); it is idempotent and publishes `premises.hazard_linked`
(payload: hazards.premises.events). Who may edit the register: hazards.premises.policy.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.models import User
from hazards.models import Hazard
from hazards.premises import events
from hazards.premises.clean import clean_fields, raise_first
from hazards.premises.models import HazardOrigin, Premises, PremisesHazard
from hazards.premises.policy import can_manage


def _require_manager(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only dispatchers edit the premises register."))


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
    raise_first(errors)
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
    raise_first(errors)
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
    publish(topics, "premises.hazard_linked", events.hazard_linked(link, hazard))
    return link
