"""Which report a duplicate is merged into."""

from __future__ import annotations

from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from hazards.models import Hazard, Status
from hazards.reports.tracking import normalise_tracking_code


def resolve_original(raw, *, hazard: Hazard) -> Hazard:
    """The original named by `raw` (its id or tracking code), followed to the root of its chain:
    duplicates always point at a report that is not itself a duplicate. InvalidInput (field
    duplicate_of) when there is none, it is the hazard itself, or it was rejected."""
    if raw in (None, ""):
        raise InvalidInput(_("Name the original hazard (duplicate_of: its id or tracking code)."), field="duplicate_of")
    query = Hazard.objects.select_related("duplicate_of")
    if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
        original = query.filter(pk=int(raw)).first()
    else:
        original = query.filter(tracking_code=normalise_tracking_code(str(raw))).first()
    if original is None:
        raise InvalidInput(_("The original hazard does not exist."), field="duplicate_of")
    seen = {original.pk}
    while original.duplicate_of_id is not None:
        original = query.get(pk=original.duplicate_of_id)
        if original.pk in seen:
            break
        seen.add(original.pk)
    if original.pk == hazard.pk:
        raise InvalidInput(_("A hazard cannot be a duplicate of itself."), field="duplicate_of")
    if original.status == Status.REJECTED:
        raise InvalidInput(_("A rejected report cannot be the original of a duplicate."), field="duplicate_of")
    return original
