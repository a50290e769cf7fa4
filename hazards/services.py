"""Every write of the hazards app. Services are keyword-only, atomic, and the only writers.

Reports come in through `hazard_report` (the web form, the REST API and Open311 all call it);
statuses change only through `hazard_transition` (triage, reopen and close here; dispatch and
verification in issue 6). Each change writes a HazardEvent and publishes a live event.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.geo import valid_coordinates
from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, publish, user_topic
from govern.media.checks import CheckedUpload, check_uploads
from govern.media.pending import apply_outcomes, render_pending
from govern.media.quarantine import delete_originals
from govern.media.writer import PhotoWriter
from govern.pipeline import atomic_pipelined, insert_later, update_later
from govern.selectors import grid_for_point
from govern.task_outbox import PUBLISH_RETRY_POLICY
from hazards import conf, lifecycle, policy, triage
from hazards.models import (
    Category,
    Hazard,
    HazardEvent,
    HazardPhoto,
    PhotoStatus,
    Severity,
    Source,
    Status,
    TriageRule,
    max_severity,
)
from hazards.selectors import (
    TRACKING_ALPHABET,
    NearbyHazard,
    duplicate_followers,
    hazard_nearby_open,
    normalise_tracking_code,
)

logger = logging.getLogger(__name__)

TRACKING_CODE_LENGTH = 10  # 31^10 ≈ 8·10^14 codes; lookups are throttled
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
CONTACT_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


def new_tracking_code(rng=None) -> str:
    """A short code from an alphabet without look-alikes (no 0/O, 1/I/L), unguessable by default."""
    choose = rng.choice if rng is not None else secrets.choice
    return "".join(choose(TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


@dataclass
class ReportOutcome:
    hazard: Hazard
    duplicates: list[NearbyHazard] = field(default_factory=list)
    photos: list[HazardPhoto] = field(default_factory=list)  # as they stand on return (processing, or done when eager)


# --- payloads of live events (documented in docs/events.md) -------------------------------------


def _created_payload(hazard: Hazard, photos: Sequence[HazardPhoto]) -> dict:
    from django.core.files.storage import default_storage

    return {
        "id": hazard.pk,
        "tracking_code": hazard.tracking_code,
        "status": hazard.status,
        "category": hazard.category.slug,
        "category_name": hazard.category.name,
        "category_name_en": hazard.category.name_en,
        "severity": hazard.severity,
        "grid": hazard.grid_id,
        "community": hazard.community_id,
        "latitude": hazard.latitude,
        "longitude": hazard.longitude,
        "address": hazard.address,
        "photo_count": len(photos),
        "photos_pending": sum(1 for p in photos if p.status == PhotoStatus.PROCESSING),
        "thumb": default_storage.url(photos[0].thumb.name) if photos and photos[0].thumb else None,
        "source": hazard.source,
        "created_at": hazard.created_at.isoformat(),
    }


def _status_payload(hazard: Hazard, event: HazardEvent) -> dict:
    # Goes to the public tracking topic too: no identities, no exact location.
    return {
        "id": hazard.pk,
        "tracking_code": hazard.tracking_code,
        "category": hazard.category.slug if hazard.category_id else None,
        "severity": hazard.severity,
        "grid": hazard.grid_id,
        "from": event.from_status,
        "to": event.to_status,
        "status": hazard.status,
        "note": event.note,
        "duplicate_of": hazard.duplicate_of.tracking_code if hazard.duplicate_of_id else None,
        "at": event.created_at.isoformat(),
    }


# --- reporting -----------------------------------------------------------------------------------


def _clean_report_fields(
    *,
    category_slug,
    description,
    latitude,
    longitude,
    address,
    contact_phone,
    severity,
    description_max=DESCRIPTION_MAX,
) -> tuple[Category, str, float, float, str, str, str | None]:
    category = Category.objects.filter(slug=str(category_slug or "").strip(), active=True).first()
    if category is None:
        raise InvalidInput(_("Choose a hazard category from the list."), field="category")
    description = (description or "").strip()
    if not description:
        raise InvalidInput(_("Describe the hazard in a few words."), field="description")
    if len(description) > description_max:
        raise InvalidInput(
            _("The description is too long: at most %(max)d characters.") % {"max": description_max},
            field="description",
        )
    for name, value in (("latitude", latitude), ("longitude", longitude)):
        if value in (None, ""):
            raise InvalidInput(
                _("The location is missing: share your location or place the pin on the map."), field=name
            )
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise InvalidInput(_("Latitude and longitude must be numbers."), field="latitude")
    if not valid_coordinates(latitude, longitude):
        raise InvalidInput(_("Latitude must be within -90..90 and longitude within -180..180."), field="latitude")
    address = (address or "").strip()
    if len(address) > 200:
        raise InvalidInput(_("The address is too long: at most 200 characters."), field="address")
    contact_phone = (contact_phone or "").strip()
    if contact_phone and not CONTACT_PHONE_RE.match(contact_phone):
        raise InvalidInput(_("Enter a phone number of 6 to 20 digits, or leave it empty."), field="contact_phone")
    if severity not in (None, "") and severity not in Severity.values:
        raise InvalidInput(_("Severity must be one of: low, medium, high, critical."), field="severity")
    return category, description, latitude, longitude, address, contact_phone, (severity or None)


def hazard_report(
    *,
    reporter,
    category_slug: str,
    description: str,
    latitude,
    longitude,
    address: str = "",
    contact_phone: str = "",
    photos: Sequence,
    source: str = Source.WEB,
    api_client=None,
    client_data: dict | None = None,
    severity: str | None = None,
    photos_required: bool = True,
    description_max: int = DESCRIPTION_MAX,
    code_rng=None,
) -> ReportOutcome:
    """File a new hazard report; the one entry for the web form, the REST API and Open311.

    Everything is validated before anything is written: fields, the grid containing the point
    ("outside the service area" otherwise), and every photo (the fast checks of govern.media:
    size, type, header, bomb, animation, container structure — no decode). Then, in one
    transaction: the hazard, its photo rows in status `processing` with the uploads in the
    private quarantine (files removed again on any failure), the first timeline event, keyword
    and nearby auto-triage suggestions, and `hazard.created` to the dispatchers, the grid and the
    reporter. After the commit, `hazards.tasks.process_hazard_photos` re-encodes the photos
    (`hazard_photos_process`: renditions, hashes, the near-identical photo check,
    `hazard.photos_ready`); eager in embedded mode, so there the photos are ready on return.
    Returns the hazard and the open nearby reports of the same category.
    `severity` lets API clients state one (it is never lowered below the category's default).
    Open311 passes its client (`api_client`, a govern.ApiClient the report is attributed to),
    `client_data` (contact fields, attributes), `photos_required=False` (media is optional in
    GeoReport v2) and `description_max=4000` (the standard's limit).
    """
    if reporter is not None and not getattr(reporter, "is_authenticated", False):
        reporter = None
    if source not in Source.values:
        raise InvalidInput(_("Unknown report source."), field="source")
    category, description, latitude, longitude, address, contact_phone, severity = _clean_report_fields(
        category_slug=category_slug,
        description=description,
        latitude=latitude,
        longitude=longitude,
        address=address,
        contact_phone=contact_phone,
        severity=severity,
        description_max=description_max,
    )
    grid = grid_for_point(latitude, longitude)
    if grid is None:
        raise InvalidInput(
            _("This point is outside the service area: it lies in no grid. Move the pin into the district."),
            field="location",
            code="outside_service_area",
        )
    checked = check_uploads(
        list(photos), limits=conf.photo_limits(), min_count=1 if photos_required else 0
    )  # no decode: cheap
    rules = list(TriageRule.objects.filter(active=True).select_related("suggest_category").order_by("priority", "id"))

    with PhotoWriter("hazards") as writer:
        originals = [writer.write_original(upload) for upload in checked]  # outside the transaction
        for _attempt in range(5):
            code = new_tracking_code(code_rng)
            try:
                # Pipelined: the rows nothing reads back travel with the next statement that is
                # read, and the publish lock, the events and the COMMIT go in one message, so the
                # lock every publisher queues for is held only while the server runs them, not
                # across this thread's wait for the GIL (bench: intake). Four round trips, not nine.
                with atomic_pipelined():
                    hazard, duplicates, stored = _file_report(
                        checked=checked,
                        originals=originals,
                        rules=rules,
                        code=code,
                        category=category,
                        description=description,
                        severity=severity,
                        latitude=latitude,
                        longitude=longitude,
                        address=address,
                        contact_phone=contact_phone,
                        reporter=reporter,
                        grid=grid,
                        source=source,
                        api_client=api_client,
                        client_data=client_data,
                    )
                break
            except IntegrityError:
                # A (very unlikely) tracking-code collision rolls the whole report back and retries it
                # with a new code: cheaper than a savepoint around every insert.
                if not Hazard.objects.filter(tracking_code=code).exists():
                    raise
        else:
            raise Conflict(_("Could not allocate a tracking code; please submit again."))
    if checked and enqueue_after_commit(process_hazard_photos_task(), hazard_id=hazard.pk):
        stored = list(HazardPhoto.objects.filter(hazard_id=hazard.pk).order_by("position", "id"))  # processed already
    return ReportOutcome(hazard=hazard, duplicates=duplicates, photos=stored)


def process_hazard_photos_task():
    from hazards.tasks import process_hazard_photos

    return process_hazard_photos


def enqueue_after_commit(task, **kwargs) -> bool:
    """Start a Celery task once the caller's transaction commits; call it after the service's own
    `transaction.atomic()` block.

    Embedded mode (Celery eager, and the tests) runs it right here, in this thread, so what the
    task does is done when the service returns. A failure there is logged, never raised: the
    request's own work is committed, and the photo sweep retries what was left pending. The rows
    left `processing` are the durable record of the work owed (the sweep re-sends it when the
    broker lost or never got the message), so no separate outbox row is written per report.
    Returns True when the task ran here.
    """
    from govern.celery import app

    if app.conf.task_always_eager:
        try:
            task.apply(kwargs=kwargs, throw=True)
        except Exception:
            logger.exception("%s(%s) failed in eager mode", task.name, kwargs)
        return True

    def send() -> None:
        try:
            task.apply_async(
                kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )  # one quick try: never hang on a dead Redis
        except Exception as exc:  # broker down: the rows stay `processing` and the sweep sends it later
            logger.warning("%s(%s) not sent: %s", task.name, kwargs, exc)

    transaction.on_commit(send)
    return False


def _file_report(
    *,
    checked,
    originals,
    rules,
    code,
    category,
    description,
    severity,
    latitude,
    longitude,
    address,
    contact_phone,
    reporter,
    grid,
    source,
    api_client,
    client_data,
) -> tuple[Hazard, list, list]:
    """The writes of one report, inside hazard_report's transaction."""
    hazard = Hazard.objects.create(
        tracking_code=code,
        community_id=grid.community_id,
        category=category,
        description=description,
        severity=max_severity(category.default_severity, severity),
        latitude=latitude,
        longitude=longitude,
        address=address,
        contact_phone=contact_phone,
        reporter=reporter,
        grid=grid,
        source=source,
        api_client=api_client,
        client_data=client_data or {},
    )
    stored = _store_photos(hazard=hazard, checked=checked, originals=originals)
    insert_later([HazardEvent(hazard=hazard, actor=reporter, from_status="", to_status=Status.SUBMITTED)])
    duplicates = hazard_nearby_open(
        category_id=category.pk, latitude=latitude, longitude=longitude, exclude_id=hazard.pk
    )
    _auto_triage(hazard=hazard, rules=rules, nearby=duplicates)
    topics = [DISPATCH_TOPIC, grid_topic(grid.pk)]
    if reporter is not None:
        topics.append(user_topic(reporter.pk))
    publish(topics, "hazard.created", _created_payload(hazard, stored))
    return hazard, duplicates, stored


def _store_photos(*, hazard: Hazard, checked: Sequence[CheckedUpload], originals: Sequence[str]) -> list[HazardPhoto]:
    rows = [
        HazardPhoto(
            hazard=hazard,
            status=PhotoStatus.PROCESSING,
            original=original,
            width=upload.width,
            height=upload.height,
            original_format=upload.original_format,
            position=position,
        )
        for position, (upload, original) in enumerate(zip(checked, originals, strict=True))
    ]
    return HazardPhoto.objects.bulk_create(rows)


def _auto_triage(*, hazard: Hazard, rules, nearby) -> None:
    suggestions = triage.keyword_suggestions(hazard=hazard, rules=rules)
    raised = hazard.severity
    for suggestion in suggestions:
        if suggestion.suggested_severity:
            new = max_severity(raised, suggestion.suggested_severity)
            suggestion.applied = new != raised
            raised = new
    if raised != hazard.severity:
        hazard.severity, hazard.updated_at = raised, timezone.now()
        # Not save(): inside the report's pipeline it would wait for its row count.
        update_later(Hazard.objects.filter(pk=hazard.pk), severity=raised, updated_at=hazard.updated_at)
    suggestions += triage.nearby_suggestions(hazard=hazard, nearby=nearby)
    insert_later(suggestions)


# --- photo processing (a Celery task runs it after the report commits) -----------------------------


def photo_payload(photo) -> dict:
    """One photo in a live event (public-safe: only re-encoded renditions, never the upload)."""
    from django.core.files.storage import default_storage

    ready = photo.status == PhotoStatus.READY
    return {
        "id": photo.pk,
        "position": photo.position,
        "status": photo.status,
        "thumb": default_storage.url(photo.thumb.name) if ready else None,
        "medium": default_storage.url(photo.medium.name) if ready else None,
        "image": default_storage.url(photo.image.name) if ready else None,
        "width": photo.width,
        "height": photo.height,
        "failure": photo.get_failure_display() if photo.failure else "",
    }


def hazard_photos_process(*, hazard_id: int) -> dict:
    """Re-encode a report's pending photos: renditions, hashes, the near-identical photo check.

    Idempotent (run by `hazards.tasks.process_hazard_photos`, acks late, and by the sweep): only
    rows still `processing` are touched, under the hazard's row lock, so a second run — or two at
    once — changes nothing twice. The decode runs before the transaction. A photo the full decode
    refuses becomes `failed` with the reason (the tracking page says so); originals are deleted
    once the rows commit. Publishes `hazard.photos_ready` to the report's topics, the public
    tracking topic included. Returns counts.
    """
    pending = list(
        HazardPhoto.objects.filter(hazard_id=hazard_id, status=PhotoStatus.PROCESSING).order_by("position", "id")
    )
    if not pending:
        return {"ready": 0, "failed": 0}
    outcomes = render_pending(pending, limits=conf.photo_limits())  # CPU-heavy; outside the transaction
    with PhotoWriter("hazards") as writer, transaction.atomic():
        hazard = Hazard.objects.select_for_update(of=("self",)).select_related("category").filter(pk=hazard_id).first()
        rows = (
            list(
                HazardPhoto.objects.select_for_update()
                .filter(hazard_id=hazard_id, pk__in=[row.pk for row in pending], status=PhotoStatus.PROCESSING)
                .order_by("pk")
            )
            if hazard is not None
            else []
        )
        changed, originals = apply_outcomes(rows, outcomes, writer)
        if changed:
            by_id = {outcome.photo_id: outcome.processed for outcome in outcomes if outcome.processed is not None}
            fresh = [by_id[row.pk] for row in changed if row.pk in by_id]
            from hazards.models import TriageSuggestion

            TriageSuggestion.objects.bulk_create(triage.similar_photo_suggestions(hazard=hazard, photos=fresh))
            photos = list(HazardPhoto.objects.filter(hazard_id=hazard_id).order_by("position", "id"))
            ready = [photo for photo in photos if photo.status == PhotoStatus.READY]
            topics = [DISPATCH_TOPIC, grid_topic(hazard.grid_id), hazard_topic(hazard.tracking_code)]
            if hazard.reporter_id:
                topics.append(user_topic(hazard.reporter_id))
            publish(
                topics,
                "hazard.photos_ready",
                {
                    "id": hazard.pk,
                    "tracking_code": hazard.tracking_code,
                    "photo_count": len(ready),
                    "photos_pending": sum(1 for photo in photos if photo.status == PhotoStatus.PROCESSING),
                    "thumb": photo_payload(ready[0])["thumb"] if ready else None,
                    "photos": [photo_payload(photo) for photo in photos],
                    "at": timezone.now().isoformat(),
                },
            )
    if hazard is None:  # deleted meanwhile: its rows went with it; so do the uploads
        originals = [row.original for row in pending]
    delete_originals(originals)
    return {
        "ready": sum(1 for row in changed if row.status == PhotoStatus.READY),
        "failed": sum(1 for row in changed if row.status == PhotoStatus.FAILED),
    }


def photos_sweep(*, older_than_s: int = 300) -> dict:
    """Re-enqueue processing for photos still pending after `older_than_s` (a lost message, a
    broker down at commit, a worker killed mid-task). Safe to overlap: processing is idempotent."""
    from hazards.models import TaskPhoto
    from hazards.tasks import process_hazard_photos, process_task_photos

    before = timezone.now() - timedelta(seconds=older_than_s)
    hazard_ids = sorted(
        set(
            HazardPhoto.objects.filter(status=PhotoStatus.PROCESSING, created_at__lt=before).values_list(
                "hazard_id", flat=True
            )
        )
    )
    task_ids = sorted(
        set(
            TaskPhoto.objects.filter(status=PhotoStatus.PROCESSING, created_at__lt=before).values_list(
                "task_id", flat=True
            )
        )
    )
    for hazard_id in hazard_ids:
        process_hazard_photos.delay(hazard_id=hazard_id)
    for task_id in task_ids:
        process_task_photos.delay(task_id=task_id)
    return {"hazards": len(hazard_ids), "tasks": len(task_ids)}


ORPHAN_BATCH = 500  # names checked per query (well under SQLite's bound-variable limit)


def _quarantine_names(storage, folder: str = ""):
    """Every file name in the quarantine storage, depth first (storage API: works on buckets too)."""
    dirs, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for name in dirs:
        yield from _quarantine_names(storage, f"{folder}/{name}" if folder else name)


def quarantine_sweep_orphans(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """Delete quarantined uploads that no photo row references, once older than a grace period.

    Why: a request writes the upload to quarantine before its transaction commits the row that
    names it; PhotoWriter deletes the file when the transaction fails, but a process killed in
    between (SIGKILL, OOM, power) leaves a file nothing points at, holding a resident's EXIF and
    GPS forever. A file named by any StoredPhoto row's `original` is never touched, however old
    (its processing may be owed; photos_sweep re-sends it). A file younger than `older_than`
    (PHOTO_QUARANTINE_ORPHAN_AGE, 1 h) is never touched: its request may not have committed yet.
    References are checked ORPHAN_BATCH names at a time, one query per photo model per batch.
    Returns how many files were deleted.
    """
    from django.apps import apps

    from govern.media.quarantine import quarantine_storage
    from hazards.models import StoredPhoto

    storage = quarantine_storage()
    if not storage.exists(""):
        return 0
    cutoff = (now or timezone.now()) - (older_than if older_than is not None else conf.quarantine_orphan_age())
    models = [m for m in apps.get_models() if issubclass(m, StoredPhoto)]

    def sweep(batch: list[str]) -> int:
        referenced: set[str] = set()
        for model in models:
            referenced.update(model.objects.filter(original__in=batch).values_list("original", flat=True))
        removed = 0
        for name in batch:
            if name in referenced:
                continue
            try:
                storage.delete(name)
            except Exception:
                logger.warning("could not delete orphaned quarantined %s", name, exc_info=True)
                continue
            logger.info("deleted orphaned quarantined upload %s (no photo row names it)", name)
            removed += 1
        return removed

    removed, batch = 0, []
    for name in _quarantine_names(storage):
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:  # processed and deleted meanwhile
            continue
        if modified >= cutoff:
            continue
        batch.append(name)
        if len(batch) >= ORPHAN_BATCH:
            removed += sweep(batch)
            batch = []
    if batch:
        removed += sweep(batch)
    if removed:
        logger.info("quarantine sweep: deleted %d orphaned upload(s) older than %s", removed, cutoff.isoformat())
    return removed


# --- lifecycle -------------------------------------------------------------------------------------


def lock_hazard(hazard_id) -> Hazard:
    """The hazard, row-locked (other modules lock hazards through this too: one lock order)."""
    hazard = (
        Hazard.objects.select_for_update(of=("self",))
        .select_related("category", "duplicate_of")
        .filter(pk=hazard_id)
        .first()
    )
    if hazard is None:
        raise NotFound(_("No hazard with this id."))
    return hazard


def _lock_in_order(hazard_ids) -> None:
    list(
        Hazard.objects.select_for_update()
        .filter(pk__in=sorted(set(hazard_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _clean_note(note) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(_("The note is too long: at most %(max)d characters.") % {"max": NOTE_MAX}, field="note")
    return note


@transaction.atomic
def hazard_transition(
    *,
    hazard_id: int,
    actor,
    to_status: str,
    note: str = "",
    duplicate_of: Hazard | None = None,
    cleared_by_source: bool = False,
) -> Hazard:
    """Move a hazard along the lifecycle table, or raise Conflict (409) saying why not.

    `cleared_by_source=True` also allows open → closed (lifecycle.CLEARED_BY_SOURCE_FROM): only
    the sensor-alert service passes it, when the sensor that raised the hazard reads normal again.

    Locks the hazard row, checks `lifecycle.TRANSITIONS`, writes a HazardEvent, and publishes
    `hazard.status_changed` to the hazard's tracking topic, its reporter, its grid, the
    dispatchers — and to every report merged into it as a duplicate, so their reporters follow it.
    No permission check here: callers (triage, reopen, close, and task dispatch) decide who may.
    """
    note = _clean_note(note)
    hazard = lock_hazard(hazard_id)
    from_status = hazard.status
    if not lifecycle.is_legal(from_status, to_status, cleared_by_source=cleared_by_source):
        raise Conflict(lifecycle.refusal_sentence(from_status, to_status), code="illegal_transition")
    hazard.status = to_status
    hazard.duplicate_of = duplicate_of if to_status == Status.DUPLICATE else None
    hazard.status_changed_at = timezone.now()
    if note:
        hazard.status_note = note
    hazard.save(update_fields=["status", "duplicate_of", "status_changed_at", "status_note", "updated_at"])
    event = HazardEvent.objects.create(
        hazard=hazard, actor=actor, from_status=from_status, to_status=to_status, note=note
    )

    topics = [DISPATCH_TOPIC, grid_topic(hazard.grid_id), hazard_topic(hazard.tracking_code)]
    if hazard.reporter_id:
        topics.append(user_topic(hazard.reporter_id))
    for code, reporter_id in duplicate_followers(hazard=hazard):
        topics.append(hazard_topic(code))
        if reporter_id:
            topics.append(user_topic(reporter_id))
    publish(topics, "hazard.status_changed", _status_payload(hazard, event))
    if to_status == Status.VERIFIED:
        hazard_verified_followups(hazard, actor)
    return hazard


@transaction.atomic
def hazard_raise_severity(*, hazard_id: int, severity: str, actor=None, note: str = "") -> tuple[Hazard, bool]:
    """Raise an open hazard's severity (never lower it): a timeline note (a HazardEvent whose
    from and to are the current status) and `hazard.status_changed` with from == to, so boards
    and followers update the severity. Returns (hazard, whether it changed). Used by sensor
    alerts when a reading gets worse; a lower or equal severity changes nothing."""
    from hazards.models import SEVERITY_RANK

    if severity not in Severity.values:
        raise InvalidInput(_("Severity must be one of: low, medium, high, critical."), field="severity")
    note = _clean_note(note)
    hazard = lock_hazard(hazard_id)
    if not lifecycle.is_open(hazard.status):
        raise Conflict(lifecycle.refusal_sentence(hazard.status, hazard.status), code="illegal_transition")
    if SEVERITY_RANK[severity] <= SEVERITY_RANK[hazard.severity]:
        return hazard, False
    hazard.severity = severity
    hazard.save(update_fields=["severity", "updated_at"])
    event = HazardEvent.objects.create(
        hazard=hazard, actor=actor, from_status=hazard.status, to_status=hazard.status, note=note
    )
    topics = [DISPATCH_TOPIC, grid_topic(hazard.grid_id), hazard_topic(hazard.tracking_code)]
    if hazard.reporter_id:
        topics.append(user_topic(hazard.reporter_id))
    publish(topics, "hazard.status_changed", _status_payload(hazard, event))
    return hazard, True


def hazard_verified_followups(hazard: Hazard, actor) -> None:
    """The one place where work that follows a verification starts (inside the transaction that
    makes a hazard `verified`; task verification gets here too).

    The reporter earns `report_verified`, enqueued on commit and idempotent per (rule, hazard,
    user). A cluster of duplicate reports pays once, to its first reporter: the earliest report
    (the original or one merged into it) whose reporter was signed in. Nobody earns for verifying
    their own report (rewards refuses it).
    """
    from govern.task_outbox import enqueue_on_commit
    from rewards.tasks import award_points

    cluster = Hazard.objects.filter(Q(pk=hazard.pk) | Q(duplicate_of_id=hazard.pk), reporter__isnull=False)
    first = cluster.order_by("created_at", "id").values_list("reporter_id", flat=True).first()
    if first is None:
        return
    hazard_id, severity, actor_id = hazard.pk, hazard.severity, getattr(actor, "pk", None)
    enqueue_on_commit(
        award_points,
        user_id=first,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id=str(hazard_id),
        actor_id=actor_id,
        severity=severity,
    )


def _resolve_original(raw, *, hazard: Hazard) -> Hazard:
    if raw in (None, ""):
        raise InvalidInput(_("Name the original hazard (duplicate_of: its id or tracking code)."), field="duplicate_of")
    query = Hazard.objects.select_related("duplicate_of")
    if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
        original = query.filter(pk=int(raw)).first()
    else:
        original = query.filter(tracking_code=normalise_tracking_code(str(raw))).first()
    if original is None:
        raise InvalidInput(_("The original hazard does not exist."), field="duplicate_of")
    # Follow a chain to its root: duplicates always point at a report that is not itself a duplicate.
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
    reject (a reason is required: the reporter sees it) or mark it a duplicate of another."""
    if decision not in TRIAGE_DECISIONS:
        raise InvalidInput(_("decision must be accept, reject or duplicate."), field="decision")
    if decision == "duplicate":
        # Two hazards get locked: lower primary key first, so that two dispatchers merging a
        # pair in opposite directions wait for each other instead of deadlocking.
        current = Hazard.objects.filter(pk=hazard_id).first()
        if current is None or not policy.can_view(actor, current):
            raise NotFound(_("No hazard with this id is visible to you."))
        first_guess = _resolve_original(duplicate_of, hazard=current)
        _lock_in_order([hazard_id, first_guess.pk])
    hazard = lock_hazard(hazard_id)
    if not policy.can_view(actor, hazard) or not policy.can_triage(actor, hazard, decision):
        if policy.can_view(actor, hazard):
            raise PermissionDenied(_("Only a dispatcher may reject a report."))
        raise NotFound(_("No hazard with this id is visible to you."))
    note = _clean_note(note)
    if severity not in (None, "") and severity not in Severity.values:
        raise InvalidInput(_("Severity must be one of: low, medium, high, critical."), field="severity")

    if decision == "accept":
        if not lifecycle.is_legal(hazard.status, Status.TRIAGED):
            raise Conflict(lifecycle.refusal_sentence(hazard.status, Status.TRIAGED), code="illegal_transition")
        if category_slug:
            category = Category.objects.filter(slug=category_slug).first()
            if category is None:
                raise InvalidInput(_("Choose a hazard category from the list."), field="category")
            hazard.category = category
        if severity:
            hazard.severity = severity
        hazard.save(update_fields=["severity", "category", "updated_at"])
        hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED, note=note)
        if hazard.category.auto_dispatch:
            from hazards.dispatch.services import auto_dispatch_after_triage

            if auto_dispatch_after_triage(hazard_id=hazard.pk, actor=actor):
                hazard = lock_hazard(hazard.pk)
        return hazard
    if decision == "reject":
        if not note:
            raise InvalidInput(_("Say why the report is rejected: the reporter will read it."), field="note")
        return hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.REJECTED, note=note)
    original = _resolve_original(duplicate_of, hazard=hazard)  # again, under the locks
    if not lifecycle.is_legal(hazard.status, Status.DUPLICATE):
        raise Conflict(lifecycle.refusal_sentence(hazard.status, Status.DUPLICATE), code="illegal_transition")
    if not note:
        note = _("Merged into %(code)s: follow it there.") % {"code": original.tracking_code}
    return hazard_transition(
        hazard_id=hazard.pk, actor=actor, to_status=Status.DUPLICATE, note=note, duplicate_of=original
    )


@transaction.atomic
def hazard_reopen(*, hazard_id: int, actor, note: str) -> Hazard:
    """A dispatcher refuses a fix: rectified or verified → reopened, with the reason."""
    hazard = lock_hazard(hazard_id)
    if not policy.can_reopen(actor, hazard):
        raise PermissionDenied(_("Only a dispatcher may reopen a hazard."))
    if not _clean_note(note):
        raise InvalidInput(_("Say why the fix is refused."), field="note")
    return hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.REOPENED, note=note)


@transaction.atomic
def hazard_close(*, hazard_id: int, actor, note: str = "") -> Hazard:
    """A dispatcher closes a verified hazard."""
    hazard = lock_hazard(hazard_id)
    if not policy.can_close(actor, hazard):
        raise PermissionDenied(_("Only a dispatcher may close a hazard."))
    return hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.CLOSED, note=note)
