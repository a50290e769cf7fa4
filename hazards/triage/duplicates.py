"""Which report a duplicate is merged into."""

from __future__ import annotations

from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from govern.roles import is_dispatcher
from hazards.core import policy
from hazards.models import Hazard, Status
from hazards.reports.tracking import normalise_tracking_code


def _mergeable_into(actor, original: Hazard) -> bool:
    """Dispatchers merge anything; a grid worker only into hazards of the grids they work. Their
    own reports elsewhere or other grids' hazards would leak tracking codes (the answer names the
    original) and let a merge carry points across grids (issue 21)."""
    return is_dispatcher(actor) or policy.works_grid(actor, original)


def resolve_original(raw, *, hazard: Hazard, actor) -> Hazard:
    """The original named by `raw` (its id or tracking code), followed to the root of its chain:
    duplicates always point at a report that is not itself a duplicate. InvalidInput (field
    duplicate_of) when there is none, it is the hazard itself, or it was rejected; NotFound, like
    an unknown hazard, when the actor may not merge into it (named or at the chain's root)."""
    if raw in (None, ""):
        raise InvalidInput(_("Name the original hazard (duplicate_of: its id or tracking code)."), field="duplicate_of")
    query = Hazard.objects.select_related("duplicate_of")
    if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
        original = query.filter(pk=int(raw)).first()
    else:
        original = query.filter(tracking_code=normalise_tracking_code(str(raw))).first()
    if original is None or not _mergeable_into(actor, original):
        raise NotFound(_("The original hazard does not exist or is not yours to merge into."), field="duplicate_of")
    seen = {original.pk}
    while original.duplicate_of_id is not None:
        original = query.get(pk=original.duplicate_of_id)
        if original.pk in seen:
            break
        seen.add(original.pk)
    if not _mergeable_into(actor, original):
        raise NotFound(_("The original hazard does not exist or is not yours to merge into."), field="duplicate_of")
    if original.pk == hazard.pk:
        raise InvalidInput(_("A hazard cannot be a duplicate of itself."), field="duplicate_of")
    if original.status == Status.REJECTED:
        raise InvalidInput(_("A rejected report cannot be the original of a duplicate."), field="duplicate_of")
    return original
