"""Linking a hazard to a premises by hand (dispatchers and the grid's workers), and the premises
near a point that a report form or a hazard page suggests.

Sensor alerts and inspections link the hazards they raise themselves (services.premises_link_hazard);
a resident's report is linked by the people who triage it: the reporter may name the premises
they mean (kept as a hint on the report, `client_data["premises_hint"]`), but only a dispatcher or
the grid's worker puts a report in a premises' history, so nobody can file reports into a
business's record (and onto its responsible person's phone) on their own word.

A report linked by hand may be moved to another premises (a wrong pick is corrected); a hazard a
sensor or an inspection raised stays with its premises (409).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.roles import is_dispatcher
from hazards.core import policy
from hazards.core.locks import lock_hazard
from hazards.models import Hazard
from hazards.premises import events, services
from hazards.premises.models import HazardOrigin, Premises, PremisesHazard
from hazards.premises.selectors import visible_premises
from hazards.reports.tracking import normalise_tracking_code

NEARBY_RADIUS_M = 300
NEARBY_LIMIT = 8
_M_PER_DEGREE = 111_320.0


def _premises_id(raw) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if value < 1 or value > 2**53:
        raise InvalidInput(_("Choose a premises from the list."), field="premises")
    return value


@transaction.atomic
def hazard_link_premises(*, actor, hazard_id: int, premises_id) -> PremisesHazard:
    """Put a hazard in a premises' history (origin `report`). Dispatchers link any hazard to any
    premises; a grid worker links their grids' hazards to their grids' premises. A hazard or a
    premises the actor does not see is a 404; the reporter (who sees their report) is a 403."""
    premises_id = _premises_id(premises_id)
    hazard = lock_hazard(hazard_id)
    if not policy.can_view(actor, hazard):
        raise NotFound(_("No hazard with this id is visible to you."))
    if not policy.can_dispatch(actor, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers link a hazard to a premises."))
    premises = visible_premises(actor).filter(pk=premises_id).only("pk", "grid_id", "responsible_user_id").first()
    if premises is None:
        raise NotFound(_("No such premises (or not visible to you)."), field="premises")
    link = PremisesHazard.objects.select_for_update().filter(hazard_id=hazard.pk).first()
    if link is None:
        return services.premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin=HazardOrigin.REPORT)
    if link.premises_id == premises.pk:
        return link
    if link.origin != HazardOrigin.REPORT:
        raise Conflict(
            _("A hazard raised by a sensor or an inspection stays with its premises."), code="linked_by_source"
        )
    link.premises_id = premises.pk
    link.save(update_fields=["premises"])
    topics = [DISPATCH_TOPIC, grid_topic(premises.grid_id)]
    if premises.responsible_user_id:
        topics.append(user_topic(premises.responsible_user_id))
    publish(topics, "premises.hazard_linked", events.hazard_linked(link, hazard))
    return link


def hazard_link_premises_by_code(*, actor, premises_id: int, tracking_code: str) -> PremisesHazard:
    """The premises page's way in: the report named by its tracking code (an unknown code is the
    same 404 as a report the actor does not see)."""
    code = normalise_tracking_code(str(tracking_code or ""))
    if not code:
        raise InvalidInput(_("Enter the report's tracking code."), field="tracking_code")
    hazard_id = Hazard.objects.filter(tracking_code=code).values_list("pk", flat=True).first()
    if hazard_id is None:
        raise NotFound(_("No hazard with this tracking code is visible to you."), field="tracking_code")
    try:
        return hazard_link_premises(actor=actor, hazard_id=hazard_id, premises_id=premises_id)
    except NotFound as exc:
        if exc.field == "premises":
            raise
        raise NotFound(_("No hazard with this tracking code is visible to you."), field="tracking_code") from None


def may_link_at(user, premises: Premises) -> bool:
    """Whether the premises page offers its link form (the service decides again)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_dispatcher(user) or premises.grid_id in policy.owned_grid_ids(user)


@dataclass(frozen=True)
class NearbyPremises:
    premises: Premises
    distance_m: float


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Equirectangular: exact enough within a few hundred metres."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_000.0


def premises_near(
    *, latitude: float, longitude: float, queryset=None, radius_m: float = NEARBY_RADIUS_M, limit: int = NEARBY_LIMIT
) -> list[NearbyPremises]:
    """Active premises within `radius_m` of the point, nearest first (one query: a bounding box,
    then the exact distance in Python). `queryset` narrows the register (a viewer's scope)."""
    d_lat = radius_m / _M_PER_DEGREE
    d_lng = radius_m / (_M_PER_DEGREE * max(0.01, math.cos(math.radians(latitude))))
    rows = (
        (queryset if queryset is not None else Premises.objects.all())
        .filter(
            active=True,
            latitude__range=(latitude - d_lat, latitude + d_lat),
            longitude__range=(longitude - d_lng, longitude + d_lng),
        )
        .select_related("type")
        .order_by("pk")[:500]
    )
    found = [NearbyPremises(p, _distance_m(latitude, longitude, p.latitude, p.longitude)) for p in rows]
    found = [n for n in found if n.distance_m <= radius_m]
    found.sort(key=lambda n: (n.distance_m, n.premises.pk))
    return found[:limit]
