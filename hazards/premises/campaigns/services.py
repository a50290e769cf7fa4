"""Every write of checklists' campaigns: create, activate/close, assign/unassign, start, record, submit.

Keyword-only, atomic, the only writers. Lock order (always this way round, so two services never
wait for each other in a circle): campaign premises rows (by primary key) → the inspection →
the campaign row (whose progress counters move with F()) → the live outbox's publish lock. Hazards raised at
submit go through `hazards.services.hazard_report` (source "inspection", the failed item's photo,
the premises' position, so the grid is the premises' grid) and are linked to the premises
(PremisesHazard, origin "inspection") and to the campaign (InspectionResult.hazard).

The publish lock (govern.live) is always last: a service updates the campaign's counters before
its first publish (inspection_submit before its findings' own `hazard.created`).

Live events (docs/events.md, "campaign.*"): `campaign.progress` to the dispatchers and the
inspector on every change of a campaign's progress; `campaign.assigned` to an inspector when
premises are given to (or taken from) them; `campaign.unassigned` to the office and the former
inspectors when the office takes premises back (campaign_unassign).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, publish, publish_many, user_topic
from govern.media.checks import check_uploads
from govern.media.renditions import render
from govern.media.writer import PhotoWriter, delete_files
from govern.models import Grid, User
from govern.roles import GRID_WORKER, VOLUNTEER, is_dispatcher, user_roles
from hazards import conf
from hazards.models import Hazard, HazardPhoto, Source
from hazards.premises.campaigns.models import (
    Campaign,
    CampaignPremises,
    CampaignStatus,
    Checklist,
    ChecklistItem,
    Inspection,
    InspectionResult,
    Outcome,
    VisitStatus,
)
from hazards.premises.models import HazardOrigin, Premises, PremisesType
from hazards.premises.services import premises_link_hazard
from hazards.services import hazard_report

logger = logging.getLogger(__name__)

NAME_MAX = 120
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
SELECTION_MAX = 200  # grids, streets or types named in one selection


@dataclass
class SubmitOutcome:
    inspection: Inspection
    hazards: list[Hazard] = field(default_factory=list)
    replayed: bool = False  # True: it had been submitted before; nothing new was written


# --- helpers ---------------------------------------------------------------------------------------


def _require_dispatcher(actor) -> None:
    if not is_dispatcher(actor):
        raise PermissionDenied(_("Only dispatchers manage inspection campaigns."))


def _text(value, *, field: str, limit: int, required: bool = False, message: str | None = None) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise InvalidInput(message or _("This field is required."), field=field)
    if len(value) > limit:
        raise InvalidInput(_("Too long: at most %(max)d characters.") % {"max": limit}, field=field)
    return value


def _date(value, *, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), field=field) from None


PK_MAX = 2**63 - 1


def _pk(value, *, field: str, message: str | None = None) -> int:
    """A primary key from user input (1 .. 2^63-1), or a 400 naming the field."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    if not 1 <= pk <= PK_MAX:
        raise InvalidInput(message or _("Give ids as whole numbers."), field=field)
    return pk


def _ids(values, *, field: str) -> list[int]:
    if isinstance(values, str | int):
        values = [values]
    values = list(values or [])
    if len(values) > SELECTION_MAX:
        raise InvalidInput(_("At most %(max)d values.") % {"max": SELECTION_MAX}, field=field)
    return sorted({_pk(v, field=field) for v in values})


def _name(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def _lock_entries(ids: Iterable[int]) -> list[CampaignPremises]:
    return list(
        CampaignPremises.objects.select_for_update(of=("self",))
        .select_related("premises", "inspector")
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    )


def _campaign_counters(campaign_id: int, **deltas: int) -> Campaign:
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if changes:
        Campaign.objects.filter(pk=campaign_id).update(updated_at=timezone.now(), **changes)
    return Campaign.objects.get(pk=campaign_id)


def progress_payload(campaign: Campaign, entry: CampaignPremises | None = None, hazards: Sequence[Hazard] = ()) -> dict:
    """The `campaign.progress` data (docs/events.md): the campaign's counters and what changed."""
    data = {
        "campaign": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "total": campaign.premises_total,
        "assigned": campaign.premises_assigned,
        "in_progress": campaign.premises_started,
        "done": campaign.premises_done,
        "findings": campaign.findings,
        "percent": campaign.done_percent,
        "entry": None,
        "hazards": [
            {"id": h.pk, "tracking_code": h.tracking_code, "category": h.category.slug, "severity": h.severity}
            for h in hazards
        ],
    }
    if entry is not None:
        data["entry"] = {
            "id": entry.pk,
            "premises": entry.premises_id,
            "premises_name": entry.premises.name,
            "status": entry.status,
            "inspector": entry.inspector_id,
            "inspector_name": _name(entry.inspector),
            "findings": entry.findings,
        }
    return data


def _publish_progress(campaign: Campaign, entry: CampaignPremises | None = None, hazards=(), extra_users=()) -> None:
    topics = [DISPATCH_TOPIC, *(user_topic(uid) for uid in extra_users if uid)]
    if entry is not None and entry.inspector_id:
        topics.append(user_topic(entry.inspector_id))
    publish(topics, "campaign.progress", progress_payload(campaign, entry, hazards))


def active_checklist_ids(type_ids: Iterable[int]) -> dict[int, int]:
    """premises type id → its active checklist's id (types without one are left out)."""
    return dict(
        Checklist.objects.filter(premises_type_id__in=set(type_ids), active=True).values_list("premises_type_id", "id")
    )


# --- campaigns -------------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    description: str = "",
    starts_on=None,
    ends_on=None,
    grid_ids: Sequence[int] = (),
    streets: Sequence[str] = (),
    type_slugs: Sequence[str] = (),
) -> Campaign:
    """A draft campaign over the active premises matching the selection.

    Within a dimension any value matches (grid 1 or 2), across dimensions all must (in those grids,
    on that street, of that type); at least one dimension must be given. Every selected premises'
    type needs an active checklist, or nobody could inspect it: such types are named (400 "types").
    """
    _require_dispatcher(actor)
    name = _text(name, field="name", limit=NAME_MAX, required=True, message=_("Give the campaign a name."))
    description = _text(description, field="description", limit=DESCRIPTION_MAX)
    today = timezone.localdate()
    starts_on = _date(starts_on, field="starts_on") if starts_on not in (None, "") else today
    ends_on = _date(ends_on, field="ends_on") if ends_on not in (None, "") else starts_on + dt.timedelta(days=30)
    if ends_on < starts_on:
        raise InvalidInput(_("The campaign cannot end before it starts."), field="ends_on")
    grid_ids = _ids(grid_ids, field="grids")
    streets = sorted({s.strip() for s in (streets or []) if isinstance(s, str) and s.strip()})
    if len(streets) > SELECTION_MAX:
        raise InvalidInput(_("At most %(max)d values.") % {"max": SELECTION_MAX}, field="streets")
    type_slugs = sorted({str(s).strip() for s in (type_slugs or []) if str(s).strip()})
    if not (grid_ids or streets or type_slugs):
        raise InvalidInput(_("Select premises by grid, street or type (at least one)."), field="selection")

    premises = Premises.objects.filter(active=True)
    if grid_ids:
        known = set(Grid.objects.filter(pk__in=grid_ids).values_list("pk", flat=True))
        unknown = [str(g) for g in grid_ids if g not in known]
        if unknown:
            raise InvalidInput(_("Unknown grid(s): %(ids)s.") % {"ids": ", ".join(unknown)}, field="grids")
        premises = premises.filter(grid_id__in=grid_ids)
    if streets:
        premises = premises.filter(street__in=streets)
    if type_slugs:
        types = dict(PremisesType.objects.filter(slug__in=type_slugs).values_list("slug", "pk"))
        unknown = [s for s in type_slugs if s not in types]
        if unknown:
            raise InvalidInput(_("Unknown premises type(s): %(slugs)s.") % {"slugs": ", ".join(unknown)}, field="types")
        premises = premises.filter(type_id__in=types.values())
    selected = list(premises.order_by("pk").values_list("pk", "type_id"))
    if not selected:
        raise InvalidInput(_("No active premises match this selection."), field="selection", code="empty_selection")
    type_ids = {type_id for _pk, type_id in selected}
    missing = sorted(type_ids - set(active_checklist_ids(type_ids)))
    if missing:
        names = ", ".join(
            t.localized_name() for t in PremisesType.objects.filter(pk__in=missing).order_by("sort_order", "pk")
        )
        raise InvalidInput(
            _("These premises types have no active checklist yet: %(types)s. Add one in the admin first.")
            % {"types": names},
            field="types",
            code="no_checklist",
        )
    campaign = Campaign.objects.create(
        name=name,
        description=description,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
        selection={"grids": grid_ids, "streets": streets, "types": type_slugs},
        premises_total=len(selected),
    )
    CampaignPremises.objects.bulk_create([CampaignPremises(campaign=campaign, premises_id=pk) for pk, _t in selected])
    _publish_progress(campaign)
    return campaign


def _lock_campaign(campaign_id) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No campaign with this id."))
    return campaign


@transaction.atomic
def campaign_activate(*, campaign_id: int, actor) -> Campaign:
    """draft → active: inspectors may start their premises."""
    _require_dispatcher(actor)
    campaign = _lock_campaign(campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(
            _("Only a draft campaign can be started; this one is %(status)s.")
            % {"status": campaign.get_status_display()}
        )
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status", "updated_at"])
    _publish_progress(campaign)
    return campaign


@transaction.atomic
def campaign_close(*, campaign_id: int, actor) -> Campaign:
    """draft or active → closed: nothing more can be started, recorded or submitted."""
    _require_dispatcher(actor)
    campaign = _lock_campaign(campaign_id)
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(_("This campaign is already closed."))
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status", "updated_at"])
    _publish_progress(campaign)
    return campaign


def may_inspect(user, premises: Premises, grid_ids: set[int] | None = None) -> bool:
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


def _campaign_to_change(*, campaign_id: int, actor) -> Campaign:
    """The campaign a dispatcher assigns in or takes back from: it exists and is not closed."""
    _require_dispatcher(actor)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No campaign with this id."))
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(_("This campaign is closed."))
    return campaign


def _lock_campaign_premises(*, campaign: Campaign, premises_ids: Sequence[int]) -> list[CampaignPremises]:
    """The campaign's entries for these premises, row-locked in id order; a 400 naming any
    premises that is not in the campaign."""
    wanted = list(
        CampaignPremises.objects.filter(campaign=campaign, premises_id__in=premises_ids).values_list("pk", flat=True)
    )
    entries = _lock_entries(wanted)
    found = {e.premises_id for e in entries}
    strangers = [str(p) for p in premises_ids if p not in found]
    if strangers:
        raise InvalidInput(
            _("Not in this campaign: premises %(ids)s.") % {"ids": ", ".join(strangers)}, field="premises"
        )
    return entries


@transaction.atomic
def campaign_assign(*, campaign_id: int, actor, inspector_id, premises_ids: Sequence[int]) -> list[CampaignPremises]:
    """Give these premises of the campaign to an inspector (a grid worker: only premises in their
    grids; an approved volunteer: any). Pending premises may be reassigned; premises already being
    (or done being) inspected by someone else are a 409."""
    campaign = _campaign_to_change(campaign_id=campaign_id, actor=actor)
    premises_ids = _ids(premises_ids, field="premises")
    if not premises_ids:
        raise InvalidInput(_("Name the premises to assign."), field="premises")
    message = _("Choose an inspector (a user id).")
    inspector = User.objects.filter(pk=_pk(inspector_id, field="inspector", message=message), is_active=True).first()
    if inspector is None:
        raise InvalidInput(message, field="inspector")
    roles = user_roles(inspector)
    if not ({GRID_WORKER, VOLUNTEER} & roles):
        raise InvalidInput(_("Inspectors are grid workers and approved volunteers."), field="inspector")

    entries = _lock_campaign_premises(campaign=campaign, premises_ids=premises_ids)
    grid_ids = set(inspector.grids.values_list("pk", flat=True))
    refused = [e.premises for e in entries if not may_inspect(inspector, e.premises, grid_ids)]
    if refused:
        if VOLUNTEER in roles and GRID_WORKER not in roles:
            raise InvalidInput(
                _("This volunteer is not approved (yet): only approved volunteers inspect."), field="inspector"
            )
        raise InvalidInput(
            _("A grid worker inspects only premises in their own grids; outside them: %(names)s.")
            % {"names": ", ".join(p.name for p in refused[:5])},
            field="premises",
        )
    busy = [e for e in entries if e.status != VisitStatus.PENDING and e.inspector_id != inspector.pk]
    if busy:
        raise Conflict(
            _("Already inspected (or being inspected) by someone else: %(names)s.")
            % {"names": ", ".join(e.premises.name for e in busy[:5])},
            code="already_inspected",
        )
    now = timezone.now()
    newly, previous = 0, set()
    changed = []
    for entry in entries:
        if entry.inspector_id == inspector.pk:
            continue
        if entry.inspector_id is None:
            newly += 1
        else:
            previous.add(entry.inspector_id)
        entry.inspector, entry.assigned_at = inspector, now
        changed.append(entry)
    CampaignPremises.objects.bulk_update(changed, ["inspector", "assigned_at"])
    campaign = _campaign_counters(campaign.pk, premises_assigned=newly)
    if changed:
        data = {
            "campaign": campaign.pk,
            "name": campaign.name,
            "entries": [e.pk for e in changed],
            "inspector": inspector.pk,
        }
        publish([user_topic(inspector.pk), *(user_topic(u) for u in previous)], "campaign.assigned", data)
        _publish_progress(campaign)
    return entries


@transaction.atomic
def campaign_unassign(
    *, campaign_id: int, actor, premises_ids: Sequence[int], reason: str = "", discard_started: bool = False
) -> list[CampaignPremises]:
    """Take these premises of the campaign back from their inspector (ill, gone): they are
    unassigned (pending, no inspector) and can be given to someone else.

    All or nothing, like campaign_assign: premises not in the campaign are a 400 ("premises");
    premises already submitted are a 409 (code "submitted") naming them. Premises whose inspection
    was started and not submitted are a 409 (code "in_progress") unless `discard_started`: then the
    unfinished checklist (its results and their photos) is deleted and the premises starts over.
    Premises without an inspector are left as they are. The former inspectors get
    `campaign.unassigned` (their "my inspections" list drops the premises), the office
    `campaign.progress`. Lock order as everywhere here: campaign premises → inspections → campaign."""
    campaign = _campaign_to_change(campaign_id=campaign_id, actor=actor)
    premises_ids = _ids(premises_ids, field="premises")
    if not premises_ids:
        raise InvalidInput(_("Name the premises to take back."), field="premises")
    reason = _text(reason, field="reason", limit=NOTE_MAX)

    entries = _lock_campaign_premises(campaign=campaign, premises_ids=premises_ids)
    submitted = [e for e in entries if e.status == VisitStatus.DONE]
    if submitted:
        raise Conflict(
            _("Already inspected and submitted, so they cannot be taken back: %(names)s.")
            % {"names": ", ".join(e.premises.name for e in submitted[:5])},
            code="submitted",
        )
    started = [e for e in entries if e.status == VisitStatus.IN_PROGRESS]
    if started and not discard_started:
        raise Conflict(
            _(
                "The inspection has started at: %(names)s. Confirm discarding the unfinished checklist to take them back."
            )
            % {"names": ", ".join(e.premises.name for e in started[:5])},
            code="in_progress",
        )
    files: list[str] = []
    if started:
        # Lock order: the campaign premises (above) → their inspections (by primary key) → the campaign.
        drafts = list(
            Inspection.objects.select_for_update()
            .filter(entry_id__in=[e.pk for e in started], submitted_at__isnull=True)
            .order_by("pk")
        )
        for photo, thumb in InspectionResult.objects.filter(inspection__in=drafts).values_list("photo", "photo_thumb"):
            files.extend(name for name in (photo, thumb) if name)
        Inspection.objects.filter(pk__in=[d.pk for d in drafts]).delete()  # their results go with them
    changed = [e for e in entries if e.inspector_id is not None]
    former = sorted({e.inspector_id for e in changed})
    now = timezone.now()
    for entry in changed:
        entry.inspector, entry.assigned_at, entry.status = None, None, VisitStatus.PENDING
        entry.taken_back_at, entry.taken_back_by, entry.taken_back_reason = now, actor, reason
    CampaignPremises.objects.bulk_update(
        changed, ["inspector", "assigned_at", "status", "taken_back_at", "taken_back_by", "taken_back_reason"]
    )
    campaign = _campaign_counters(campaign.pk, premises_assigned=-len(changed), premises_started=-len(started))
    if changed:
        data = {
            "campaign": campaign.pk,
            "name": campaign.name,
            "entries": [e.pk for e in changed],
            "premises": [e.premises_id for e in changed],
            "inspectors": former,
            "discarded": [e.pk for e in started],
            "reason": reason,
        }
        topics = [DISPATCH_TOPIC, *(user_topic(u) for u in former)]
        publish_many([(topics, "campaign.unassigned", data), (topics, "campaign.progress", progress_payload(campaign))])
        logger.info(
            "campaign %s: %s took back entries %s from %s (discarded %s): %s",
            campaign.pk,
            actor.pk,
            data["entries"],
            former,
            data["discarded"],
            reason,
        )
    if files:
        transaction.on_commit(lambda: delete_files(files))  # once no row names them
    return entries


# --- inspections -----------------------------------------------------------------------------------


def _visible_entry(entry: CampaignPremises | None, actor) -> CampaignPremises:
    if entry is None or (entry.inspector_id != getattr(actor, "pk", None) and not is_dispatcher(actor)):
        raise NotFound(_("No such inspection assigned to you."))
    return entry


def _require_inspector(entry: CampaignPremises, actor) -> None:
    if entry.inspector_id != actor.pk:
        raise PermissionDenied(_("Only the assigned inspector works through this checklist."))


def _require_active(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.ACTIVE:
        if campaign.status == CampaignStatus.DRAFT:
            raise Conflict(_("This campaign has not started yet."), code="campaign_not_active")
        raise Conflict(_("This campaign is closed."), code="campaign_not_active")


@transaction.atomic
def inspection_start(*, entry_id: int, actor) -> Inspection:
    """The assigned inspector starts a premises: its inspection (one per campaign premises, with
    the type's active checklist). Starting again returns the same inspection."""
    entry_id = _pk(entry_id, field="entry")
    entry = _lock_entries([entry_id])
    entry = _visible_entry(entry[0] if entry else None, actor)
    _require_inspector(entry, actor)
    existing = Inspection.objects.filter(entry=entry).first()
    if existing is not None:
        return existing
    campaign = Campaign.objects.get(pk=entry.campaign_id)
    _require_active(campaign)
    checklist = Checklist.objects.filter(premises_type_id=entry.premises.type_id, active=True).first()
    if checklist is None:
        raise Conflict(_("This type of premises has no active checklist; ask the office."), code="no_checklist")
    inspection = Inspection.objects.create(entry=entry, inspector=actor, checklist=checklist)
    entry.status = VisitStatus.IN_PROGRESS
    entry.save(update_fields=["status"])
    campaign = _campaign_counters(campaign.pk, premises_started=1)
    _publish_progress(campaign, entry)
    return inspection


def _lock_inspection(inspection_id) -> Inspection:
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("entry", "entry__premises", "entry__inspector", "checklist")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise NotFound(_("No such inspection assigned to you."))
    return inspection


def inspection_record_item(
    *, inspection_id: int, actor, item_id, outcome: str, note: str = "", photo=None
) -> InspectionResult:
    """Tick one item: pass, fail or na (again to change it). A failed item keeps a note and a photo
    (required when the item says so); the photo goes through the report pipeline (validated,
    re-encoded, metadata dropped) before anything is written."""
    if outcome not in Outcome.values:
        raise InvalidInput(_("outcome must be pass, fail or na."), field="outcome")
    note = _text(note, field="note", limit=NOTE_MAX)
    item_id = _pk(item_id, field="item", message=_("Name the checklist item (its id)."))
    processed = None
    if photo is not None and outcome == Outcome.FAIL:
        # Processed here, not in Celery like report photos: one photo per ticked item, and the
        # inspector's finding must show its photo at once. CPU-heavy: outside the transaction.
        limits = conf.photo_limits()
        checked = check_uploads([photo], limits=limits, min_count=1, max_count=1)[0]
        processed = render(checked.data, limits=limits, index=1, label=checked.label)
    old_files: list[str] = []
    with PhotoWriter("inspections") as writer, transaction.atomic():
        inspection = _lock_inspection(inspection_id)
        entry = _visible_entry(inspection.entry, actor)
        _require_inspector(entry, actor)
        if inspection.submitted_at is not None:
            raise Conflict(_("This inspection has been submitted; it cannot change any more."), code="submitted")
        _require_active(Campaign.objects.get(pk=entry.campaign_id))
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


def inspection_submit(*, inspection_id: int, actor) -> SubmitOutcome:
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


def _submit(*, inspection_id: int, actor, stored: list[str]) -> SubmitOutcome:
    entry_id = Inspection.objects.filter(pk=inspection_id).values_list("entry_id", flat=True).first()
    if entry_id is None:
        raise NotFound(_("No such inspection assigned to you."))
    locked = _lock_entries([entry_id])  # lock order: campaign premises → inspection → campaign
    inspection = _lock_inspection(inspection_id)
    entry = _visible_entry(locked[0] if locked else None, actor)
    _require_inspector(entry, actor)
    if inspection.submitted_at is not None:
        hazards = list(
            Hazard.objects.filter(inspection_result__inspection=inspection)
            .select_related("category")
            .order_by("inspection_result__item__order", "inspection_result__item_id")
        )
        return SubmitOutcome(inspection=inspection, hazards=hazards, replayed=True)
    campaign = Campaign.objects.get(pk=entry.campaign_id)
    _require_active(campaign)

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
    campaign = _campaign_counters(campaign.pk, premises_started=-1, premises_done=1, findings=failed)
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
    _publish_progress(campaign, entry, hazards)
    return SubmitOutcome(inspection=inspection, hazards=hazards)
