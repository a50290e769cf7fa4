"""Reads of the premises register, scoped to what the viewer may see.

Who sees what:
- dispatchers (and staff who manage the register, see policy.can_manage): every premises, phones in full;
- grid workers: the premises of their grids, phones masked;
- a premises' responsible person (responsible_user): their own premises, phones in full;
- anyone else: nothing (the list answers 403, a detail 404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from govern.errors import NotFound, PermissionDenied
from govern.models import mask_phone
from govern.roles import is_grid_worker
from hazards.models import OPEN_STATUSES
from hazards.premises import conf
from hazards.premises.models import Premises, PremisesHazard, PremisesType
from hazards.premises.policy import can_manage


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def visible_premises(user) -> QuerySet[Premises]:
    """The premises this user may see (unannotated, unordered beyond the model's ordering)."""
    queryset = Premises.objects.all()
    if not _authenticated(user):
        return queryset.none()
    if can_manage(user):
        return queryset
    scope = Q(responsible_user_id=user.pk)
    if is_grid_worker(user):
        scope |= Q(grid_id__in=user.grids.values("id"))
    return queryset.filter(scope)


def may_list(user) -> bool:
    """Managers and grid workers always have a register to look at; others only when they answer for a premises."""
    if not _authenticated(user):
        return False
    if can_manage(user) or is_grid_worker(user):
        return True
    return Premises.objects.filter(responsible_user_id=user.pk).exists()


def sees_phones(user, premises: Premises) -> bool:
    """Full phone numbers: dispatchers and the premises' own responsible person."""
    return can_manage(user) or (_authenticated(user) and premises.responsible_user_id == user.pk)


def phones_for(user, premises: Premises) -> tuple[str, str]:
    """(contact_phone, responsible_phone) as this viewer may see them."""
    if sees_phones(user, premises):
        return premises.contact_phone, premises.responsible_phone
    return mask_phone(premises.contact_phone), mask_phone(premises.responsible_phone)


def premises_list(*, user) -> QuerySet[Premises]:
    """The visible premises with type, grid and a count of open hazards (one query per page)."""
    if not may_list(user):
        raise PermissionDenied(_("Only dispatchers, grid workers and responsible persons see the premises register."))
    return (
        visible_premises(user)
        .select_related("type", "grid", "grid__community")
        .annotate(
            open_hazards=Count("hazard_links", filter=Q(hazard_links__hazard__status__in=list(OPEN_STATUSES))),
            hazard_total=Count("hazard_links"),
        )
        .order_by("grid_id", "street", "name", "id")
    )


@dataclass
class PremisesDetail:
    premises: Premises
    history: list[PremisesHazard]  # the most recent first, at most conf.history_limit()
    hazard_total: int
    open_hazards: int


def premises_get(*, user, premises_id: int) -> Premises:
    premises = (
        visible_premises(user)
        .select_related("type", "grid", "grid__community", "responsible_user")
        .filter(pk=premises_id)
        .first()
    )
    if premises is None:
        raise NotFound(_("No such premises (or not visible to you)."))
    return premises


def premises_history(*, premises_id: int, limit: int | None = None) -> list[PremisesHazard]:
    limit = conf.history_limit() if limit is None else limit
    return list(
        PremisesHazard.objects.filter(premises_id=premises_id)
        .select_related("hazard", "hazard__category")
        .order_by("-created_at", "-id")[:limit]
    )


def premises_detail(*, user, premises_id: int, limit: int | None = None) -> PremisesDetail:
    """A premises with its recent hazard history and counts: four queries whatever the history's length."""
    premises = premises_get(user=user, premises_id=premises_id)
    counts = PremisesHazard.objects.filter(premises_id=premises.pk).aggregate(
        total=Count("id"), open=Count("id", filter=Q(hazard__status__in=list(OPEN_STATUSES)))
    )
    return PremisesDetail(
        premises, premises_history(premises_id=premises.pk, limit=limit), counts["total"], counts["open"]
    )


def premises_types() -> list[PremisesType]:
    return list(PremisesType.objects.order_by("sort_order", "id"))


def streets(*, user) -> list[str]:
    """The distinct streets of the visible register (for the page's street filter)."""
    return list(
        visible_premises(user).exclude(street="").order_by("street").values_list("street", flat=True).distinct()[:500]
    )
