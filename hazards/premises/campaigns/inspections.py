"""Inspections: the assigned inspector starts a premises, ticks its checklist and submits it.

Each failed item becomes a hazard at submit, through `hazards.reports.services.hazard_report` (source
"inspection", the failed item's photo, the premises' position, so the grid is the premises' grid),
linked to the premises (PremisesHazard, origin "inspection") and to the campaign
(InspectionResult.hazard). Lock order as in campaigns.locks; the campaign's row lock comes before
the first publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound
from govern.media.checks import check_uploads
from govern.media.renditions import render
from govern.media.writer import PhotoWriter, delete_files
from govern.models import User
from govern.task_outbox import enqueue_on_commit
from hazards import conf
from hazards.models import Hazard, HazardPhoto, Source
from hazards.premises.campaigns.clean import DESCRIPTION_MAX, NOTE_MAX, clean_pk, clean_text
from hazards.premises.campaigns.locks import lock_entries, lock_inspection
from hazards.premises.campaigns.policy import require_active, require_inspector, visible_entry
from hazards.premises.campaigns.progress import campaign_counters, publish_progress
from hazards.premises.models import (
    Campaign,
    Checklist,
    ChecklistItem,
    HazardOrigin,
    Inspection,
    InspectionResult,
    Outcome,
    Premises,
    VisitStatus,
)
from hazards.premises.services import premises_link_hazard
from hazards.reports.services import hazard_report
from rewards.earning import AWARD_TASK, INSPECTION_SUBMITTED

INSPECTION_SOURCE = "premises.inspection"


@dataclass
class SubmitOutcome:
    inspection: Inspection
    hazards: list[Hazard] = field(default_factory=list)
    replayed: bool = False  # True: it had been submitted before; nothing new was written


@transaction.atomic
def inspection_start(*, entry_id: int, actor: User) -> Inspection:
    """The assigned inspector starts a premises: its inspection (one per campaign premises, with
    the type's active checklist). Starting again returns the same inspection."""
    entry_id = clean_pk(entry_id, field="entry")
    entry = lock_entries([entry_id])
    entry = visible_entry(entry[0] if entry else None, actor)
    require_inspector(entry, actor)
    existing = Inspection.objects.filter(entry=entry).first()
    if existing is not None:
        return existing
    campaign = Campaign.objects.get(pk=entry.campaign_id)
    require_active(campaign)
    checklist = Checklist.objects.filter(premises_type_id=entry.premises.type_id, active=True).first()
    if checklist is None:
        raise Conflict(_("This type of premises has no active checklist; ask the office."), code="no_checklist")
    inspection = Inspection.objects.create(entry=entry, inspector=actor, checklist=checklist)
    entry.status = VisitStatus.IN_PROGRESS
    entry.save(update_fields=["status"])
    campaign = campaign_counters(campaign.pk, premises_started=1)
    publish_progress(campaign, entry)
    return inspection


def inspection_record_item(
    *, inspection_id: int, actor: User, item_id, outcome: str, note: str = "", photo=None
) -> InspectionResult:
    """Tick one item: pass, fail or na (again to change it). A failed item keeps a note and a photo
    (required when the item says so); the photo goes through the report pipeline (validated,
    re-encoded, metadata dropped) before anything is written."""
    if outcome not in Outcome.values:
        raise InvalidInput(_("outcome must be pass, fail or na."), field="outcome")
    note = clean_text(note, field="note", limit=NOTE_MAX)
    item_id = clean_pk(item_id, field="item", message=_("Name the checklist item (its id)."))
    processed = None
    if photo is not None and outcome == Outcome.FAIL:
        # Processed here, not in Celery like report photos: one photo per ticked item, and the
        # inspector's finding must show its photo at once. CPU-heavy: outside the transaction.
        limits = conf.photo_limits()
        checked = check_uploads([photo], limits=limits, min_count=1, max_count=1)[0]
        processed = render(checked.data, limits=limits, index=1, label=checked.label)
    old_files: list[str] = []
    with PhotoWriter("inspections") as writer, transaction.atomic():
        inspection = lock_inspection(inspection_id)
        entry = visible_entry(inspection.entry, actor)
        require_inspector(entry, actor)
        if inspection.submitted_at is not None:
            raise Conflict(_("This inspection has been submitted; it cannot change any more."), code="submitted")
        require_active(Campaign.objects.get(pk=entry.campaign_id))
        item = ChecklistItem.objects.filter(pk=item_id, checklist_id=inspection.checklist_id, active=True).first()
        if item is None:
            raise InvalidInput(_("This item is not on the checklist of this inspection."), field="item")
        result = InspectionResult.objects.filter(inspection=inspection, item=item).first()
        if result is None:
            result = InspectionResult(inspection=inspection, item=item)
        if outcome != Outcome.FAIL or processed is not None:
            old_files = [name for name in (result.photo.name, result.photo_thumb.name) if name]
            result.photo, result.photo_thumb = "", ""
        if processed is not None:
            names = writer.write(processed)
            result.photo, result.photo_thumb = names["large"], names["thumb"]
            old_files.append(names["medium"])  # only large and thumb are kept
        if outcome == Outcome.FAIL and item.photo_required and not result.photo:
            raise InvalidInput(_("Take a photo of what failed."), field="photo", code="photo_required")
        result.outcome, result.note, result.recorded_at = outcome, note, timezone.now()
        result.save()
    if old_files:
        delete_files(old_files)  # after the commit: the row no longer names them
    return result


def _finding_description(result: InspectionResult, premises: Premises, campaign: Campaign) -> str:
    parts = [_("Inspection finding: %(item)s") % {"item": result.item.localized_text()}]
    if result.note:
        parts.append(result.note)
    parts.append(
        _("Premises: %(name)s (%(code)s). Campaign: %(campaign)s.")
        % {"name": premises.name, "code": premises.code, "campaign": campaign.name}
    )
    return "\n".join(parts)[:DESCRIPTION_MAX]


def inspection_submit(*, inspection_id: int, actor: User) -> SubmitOutcome:
    """Finish a premises: every item must have an outcome; each failed item becomes a hazard
    (hazard_report, source inspection, its photo, the premises' position and address) linked to
    the premises and the campaign; the premises is done and the campaign's counters move.
    All in one transaction: a refused photo or a premises outside the service area writes nothing.
    Submitting again returns what the first submit made (replayed), writes nothing."""
    stored: list[str] = []  # photo files hazard_report wrote, deleted again if we roll back
    try:
        with transaction.atomic():
            outcome = _submit(inspection_id=inspection_id, actor=actor, stored=stored)
    except BaseException:
        delete_files(stored)
        raise
    return outcome


def _submit(*, inspection_id: int, actor: User, stored: list[str]) -> SubmitOutcome:
    entry_id = Inspection.objects.filter(pk=inspection_id).values_list("entry_id", flat=True).first()
    if entry_id is None:
        raise NotFound(_("No such inspection assigned to you."))
    locked = lock_entries([entry_id])  # lock order: campaign premises → inspection → campaign
    inspection = lock_inspection(inspection_id)
    entry = visible_entry(locked[0] if locked else None, actor)
    require_inspector(entry, actor)
    if inspection.submitted_at is not None:
        hazards = list(
            Hazard.objects.filter(inspection_result__inspection=inspection)
            .select_related("category")
            .order_by("inspection_result__item__order", "inspection_result__item_id")
        )
        return SubmitOutcome(inspection=inspection, hazards=hazards, replayed=True)
    campaign = Campaign.objects.get(pk=entry.campaign_id)
    require_active(campaign)

    items = list(
        ChecklistItem.objects.filter(checklist_id=inspection.checklist_id, active=True).select_related("category")
    )
    results = {r.item_id: r for r in InspectionResult.objects.filter(inspection=inspection)}
    missing = [item for item in items if item.pk not in results]
    if missing:
        raise InvalidInput(
            _("Not checked yet: %(items)s.") % {"items": "; ".join(i.localized_text() for i in missing[:10])},
            field="results",
            code="incomplete",
        )
    premises = entry.premises
    failed = sum(1 for item in items if results[item.pk].outcome == Outcome.FAIL)
    # The campaign's row lock comes before the first publish (hazard_report's hazard.created takes
    # the live outbox's transaction-scoped advisory lock): every service here takes the campaign
    # row before publishing, so the two never wait for each other in a circle. Submits of one
    # campaign queue on this row while their findings are written.
    campaign = campaign_counters(campaign.pk, premises_started=-1, premises_done=1, findings=failed)
    hazards = []
    for item in items:
        result = results[item.pk]
        result.item = item
        if result.outcome != Outcome.FAIL:
            continue
        if item.photo_required and not result.photo:
            raise InvalidInput(
                _("Take a photo of what failed: %(item)s.") % {"item": item.localized_text()},
                field="photo",
                code="photo_required",
            )
        photos = [default_storage.open(result.photo.name, "rb")] if result.photo else []
        try:
            hazard = hazard_report(
                reporter=actor,
                category_slug=item.category.slug,
                description=_finding_description(result, premises, campaign),
                latitude=premises.latitude,
                longitude=premises.longitude,
                address=premises.address[:200],
                photos=photos,
                photos_required=False,
                source=Source.INSPECTION,
                severity=item.severity,
            ).hazard
        finally:
            for handle in photos:
                handle.close()
        for names in HazardPhoto.objects.filter(hazard=hazard).values_list("image", "medium", "thumb"):
            stored.extend(n for n in names if n)
        premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin=HazardOrigin.INSPECTION)
        result.hazard = hazard
        hazards.append(hazard)
    now = timezone.now()
    for result in results.values():
        result.submitted = True
    InspectionResult.objects.bulk_update(list(results.values()), ["hazard", "submitted"])
    inspection.submitted_at = now
    inspection.save(update_fields=["submitted_at"])
    entry.status, entry.done_at, entry.findings = VisitStatus.DONE, now, len(hazards)
    entry.save(update_fields=["status", "done_at", "findings"])
    publish_progress(campaign, entry, hazards)
    # The inspector is paid for the visit on commit, once per inspection. No verifier: the system
    # pays (the ledger would refuse the inspector as their own verifier).
    enqueue_on_commit(
        AWARD_TASK,
        user_id=actor.pk,
        rule_code=INSPECTION_SUBMITTED,
        source_type=INSPECTION_SOURCE,
        source_id=str(inspection.pk),
        actor_id=None,
    )
    return SubmitOutcome(inspection=inspection, hazards=hazards)
