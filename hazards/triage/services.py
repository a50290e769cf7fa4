"""Every write of triage: accept, reject or merge a report; reopen a refused fix; close a hazard.

Statuses move through `hazards.core.lifecycle.hazard_transition` (the timeline and
`hazard.status_changed`); who may do which is `hazards.core.policy`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.roles import is_dispatcher
from hazards.core import policy
from hazards.core.clean import clean_note, clean_severity
from hazards.core.lifecycle import hazard_transition, is_legal, refusal_sentence
from hazards.core.locks import lock_hazard, lock_hazards
from hazards.dispatch.services import auto_dispatch_after_triage
from hazards.models import Category, Hazard, Status, max_severity
from hazards.triage.duplicates import resolve_original

TRIAGE_DECISIONS = ("accept", "reject", "duplicate")


@transaction.atomic
def hazard_triage(
    *,
    hazard_id: int,
    actor,
    decision: str,
    severity: str | None = None,
    duplicate_of=None,
    note: str = "",
    category_slug: str | None = None,
) -> Hazard:
    """Triage a submitted (or triaged) hazard: accept (optionally setting severity and category),
    reject (a reason is required: the reporter sees it) or mark it a duplicate of another
    (`duplicate_of`: the original's id or tracking code)."""
    if decision not in TRIAGE_DECISIONS:
        raise InvalidInput(_("decision must be accept, reject or duplicate."), field="decision")
    if decision == "duplicate":
        # Two hazards get locked: lower primary key first, so that two dispatchers merging a
        # pair in opposite directions wait for each other instead of deadlocking.
        current = Hazard.objects.filter(pk=hazard_id).first()
        if current is None or not policy.can_view(actor, current):
            raise NotFound(_("No hazard with this id is visible to you."))
        first_guess = resolve_original(duplicate_of, hazard=current, actor=actor)
        lock_hazards([hazard_id, first_guess.pk])
    hazard = lock_hazard(hazard_id)
    if not policy.can_view(actor, hazard) or not policy.can_triage(actor, hazard, decision):
        if policy.can_view(actor, hazard):
            raise PermissionDenied(_("Only a dispatcher may reject a report."))
        raise NotFound(_("No hazard with this id is visible to you."))
    note = clean_note(note)
    severity = clean_severity(severity)

    if decision == "accept":
        if not is_legal(hazard.status, Status.TRIAGED):
            raise Conflict(refusal_sentence(hazard.status, Status.TRIAGED), code="illegal_transition")
        if category_slug:
            category = Category.objects.filter(slug=category_slug).first()
            if category is None:
                raise InvalidInput(_("Choose a hazard category from the list."), field="category")
            hazard.category = category
        if severity:
            hazard.severity = severity
            # A dispatcher's severity is the judgement; anyone else's cannot lower the gate.
            hazard.peak_severity = severity if is_dispatcher(actor) else max_severity(hazard.peak_severity, severity)
        hazard.save(update_fields=["severity", "peak_severity", "category", "updated_at"])
        hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED, note=note)
        if hazard.category.auto_dispatch and auto_dispatch_after_triage(hazard_id=hazard.pk, actor=actor):
            hazard = lock_hazard(hazard.pk)
        return hazard
    if decision == "reject":
        if not note:
            raise InvalidInput(_("Say why the report is rejected: the reporter will read it."), field="note")
        return hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.REJECTED, note=note)
    original = resolve_original(duplicate_of, hazard=hazard, actor=actor)  # again, under the locks
    if not is_legal(hazard.status, Status.DUPLICATE):
        raise Conflict(refusal_sentence(hazard.status, Status.DUPLICATE), code="illegal_transition")
    if not note:
        # Public (tracking page, Open311 status_notes): never the original's code (issue 21).
        note = _("Merged into an earlier report of the same hazard.")
    return hazard_transition(
        hazard_id=hazard.pk, actor=actor, to_status=Status.DUPLICATE, note=note, duplicate_of_id=original.pk
    )


@transaction.atomic
def hazard_reopen(*, hazard_id: int, actor, note: str) -> Hazard:
    """A dispatcher refuses a fix: rectified or verified → reopened, with the reason."""
    hazard = lock_hazard(hazard_id)
    if not policy.can_reopen(actor, hazard):
        raise PermissionDenied(_("Only a dispatcher may reopen a hazard."))
    if not clean_note(note):
        raise InvalidInput(_("Say why the fix is refused."), field="note")
    return hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.REOPENED, note=note)


@transaction.atomic
def hazard_close(*, hazard_id: int, actor, note: str = "") -> Hazard:
    """A dispatcher closes a verified hazard."""
    hazard = lock_hazard(hazard_id)
    if not policy.can_close(actor, hazard):
        raise PermissionDenied(_("Only a dispatcher may close a hazard."))
    return hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.CLOSED, note=note)
