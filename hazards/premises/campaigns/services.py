"""Campaigns: create, activate/close, assign and take back premises (dispatchers' work).

The inspectors' side (start, record, submit) is in campaigns.inspections. Keyword-only, atomic,
the only writers. Lock order in campaigns.locks: campaign premises rows (by primary key) → the
inspection → the campaign row (whose progress counters move with F()) → the live outbox's
publish lock, which is always last: a service updates the campaign's counters before its first
publish.

Live events (docs/events.md, "campaign.*"): `campaign.progress` to the dispatchers and the
inspector on every change of a campaign's progress; `campaign.assigned` to an inspector when
premises are given to (or taken from) them; `campaign.unassigned` to the office and the former
inspectors when the office takes premises back (campaign_unassign).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound
from govern.live import DISPATCH_TOPIC, publish, publish_many, user_topic
from govern.media.writer import delete_files
from govern.models import Grid, User
from govern.roles import GRID_WORKER, VOLUNTEER, user_roles
from hazards.premises.campaigns.clean import (
    DESCRIPTION_MAX,
    NAME_MAX,
    NOTE_MAX,
    SELECTION_MAX,
    clean_date,
    clean_ids,
    clean_pk,
    clean_text,
)
from hazards.premises.campaigns.locks import lock_campaign, lock_campaign_premises
from hazards.premises.campaigns.payloads import assigned_payload, progress_payload, unassigned_payload
from hazards.premises.campaigns.policy import may_inspect, require_dispatcher
from hazards.premises.campaigns.progress import campaign_counters, publish_progress
from hazards.premises.campaigns.selectors import active_checklist_ids
from hazards.premises.models import (
    Campaign,
    CampaignPremises,
    CampaignStatus,
    Inspection,
    InspectionResult,
    Premises,
    PremisesType,
    VisitStatus,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def campaign_create(
    *,
    actor: User,
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
    require_dispatcher(actor)
    name = clean_text(name, field="name", limit=NAME_MAX, required=True, message=_("Give the campaign a name."))
    description = clean_text(description, field="description", limit=DESCRIPTION_MAX)
    today = timezone.localdate()
    starts_on = clean_date(starts_on, field="starts_on") if starts_on not in (None, "") else today
    ends_on = clean_date(ends_on, field="ends_on") if ends_on not in (None, "") else starts_on + dt.timedelta(days=30)
    if ends_on < starts_on:
        raise InvalidInput(_("The campaign cannot end before it starts."), field="ends_on")
    grid_ids = clean_ids(grid_ids, field="grids")
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
    publish_progress(campaign)
    return campaign


@transaction.atomic
def campaign_activate(*, campaign_id: int, actor: User) -> Campaign:
    """draft → active: inspectors may start their premises."""
    require_dispatcher(actor)
    campaign = lock_campaign(campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(
            _("Only a draft campaign can be started; this one is %(status)s.")
            % {"status": campaign.get_status_display()}
        )
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status", "updated_at"])
    publish_progress(campaign)
    return campaign


@transaction.atomic
def campaign_close(*, campaign_id: int, actor: User) -> Campaign:
    """draft or active → closed: nothing more can be started, recorded or submitted."""
    require_dispatcher(actor)
    campaign = lock_campaign(campaign_id)
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(_("This campaign is already closed."))
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status", "updated_at"])
    publish_progress(campaign)
    return campaign


def _campaign_to_change(*, campaign_id: int, actor: User) -> Campaign:
    """The campaign a dispatcher assigns in or takes back from: it exists and is not closed."""
    require_dispatcher(actor)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No campaign with this id."))
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(_("This campaign is closed."))
    return campaign


@transaction.atomic
def campaign_assign(
    *, campaign_id: int, actor: User, inspector_id, premises_ids: Sequence[int]
) -> list[CampaignPremises]:
    """Give these premises of the campaign to an inspector (a grid worker: only premises in their
    grids; an approved volunteer: any). Pending premises may be reassigned; premises already being
    (or done being) inspected by someone else are a 409."""
    campaign = _campaign_to_change(campaign_id=campaign_id, actor=actor)
    premises_ids = clean_ids(premises_ids, field="premises")
    if not premises_ids:
        raise InvalidInput(_("Name the premises to assign."), field="premises")
    message = _("Choose an inspector (a user id).")
    inspector = User.objects.filter(
        pk=clean_pk(inspector_id, field="inspector", message=message), is_active=True
    ).first()
    if inspector is None:
        raise InvalidInput(message, field="inspector")
    roles = user_roles(inspector)
    if not ({GRID_WORKER, VOLUNTEER} & roles):
        raise InvalidInput(_("Inspectors are grid workers and approved volunteers."), field="inspector")

    entries = lock_campaign_premises(campaign=campaign, premises_ids=premises_ids)
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
    campaign = campaign_counters(campaign.pk, premises_assigned=newly)
    if changed:
        data = assigned_payload(campaign, changed, inspector_id=inspector.pk)
        publish([user_topic(inspector.pk), *(user_topic(u) for u in previous)], "campaign.assigned", data)
        publish_progress(campaign)
    return entries


@transaction.atomic
def campaign_unassign(
    *, campaign_id: int, actor: User, premises_ids: Sequence[int], reason: str = "", discard_started: bool = False
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
    premises_ids = clean_ids(premises_ids, field="premises")
    if not premises_ids:
        raise InvalidInput(_("Name the premises to take back."), field="premises")
    reason = clean_text(reason, field="reason", limit=NOTE_MAX)

    entries = lock_campaign_premises(campaign=campaign, premises_ids=premises_ids)
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
    campaign = campaign_counters(campaign.pk, premises_assigned=-len(changed), premises_started=-len(started))
    if changed:
        data = unassigned_payload(campaign, changed, inspectors=former, discarded=started, reason=reason)
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
