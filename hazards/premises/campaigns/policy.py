"""Who may do what in inspection campaigns: dispatchers manage them; grid workers (in their own
grids) and approved volunteers inspect; only the assigned inspector works through a checklist."""

from __future__ import annotations

from django.utils.translation import gettext as _

from govern.errors import Conflict, NotFound, PermissionDenied
from govern.models import User
from govern.roles import GRID_WORKER, VOLUNTEER, is_dispatcher, user_roles
from hazards.premises.models import Campaign, CampaignPremises, CampaignStatus, Premises


def require_dispatcher(actor: User) -> None:
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only dispatchers manage inspection campaigns."))


def may_inspect(user: User, premises: Premises, grid_ids: set[int] | None = None) -> bool:
    """Approved volunteers inspect anywhere; grid workers within their own grids."""
    roles = user_roles(user)
    if VOLUNTEER in roles:
        from volunteers.models import Volunteer, VolunteerStatus

        if Volunteer.objects.filter(user=user, status=VolunteerStatus.APPROVED).exists():
            return True
    if GRID_WORKER in roles:
        grid_ids = grid_ids if grid_ids is not None else set(user.grids.values_list("pk", flat=True))
        return premises.grid_id in grid_ids
    return False


def visible_entry(entry: CampaignPremises | None, actor: User) -> CampaignPremises:
    """The entry, if the actor is its inspector or a dispatcher; otherwise a 404 (as if absent)."""
    if entry is None or (entry.inspector_id != getattr(actor, "pk", None) and not is_dispatcher(actor)):
        raise NotFound(_("No such inspection assigned to you."))
    return entry


def require_inspector(entry: CampaignPremises, actor: User) -> None:
    if entry.inspector_id != actor.pk:
        raise PermissionDenied(_("Only the assigned inspector works through this checklist."))


def require_active(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.ACTIVE:
        if campaign.status == CampaignStatus.DRAFT:
            raise Conflict(_("This campaign has not started yet."), code="campaign_not_active")
        raise Conflict(_("This campaign is closed."), code="campaign_not_active")
