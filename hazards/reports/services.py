"""Report intake: `hazard_report`, the one way a hazard comes into being.

The web form, the REST API and Open311 call it, and so do sensor alerts and inspection campaigns
(hazards.premises). Everything is checked before anything is written; the photos are re-encoded
after the commit (hazards.reports.photos).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.db_retry import run_with_retry
from govern.errors import Conflict, InvalidInput
from govern.live import publish
from govern.media.checks import CheckedUpload, check_uploads
from govern.media.pending import pending_rows
from govern.media.writer import PhotoWriter
from govern.models import MAINLAND_MOBILE_REGEX
from govern.pipeline import atomic_pipelined, insert_later, update_later
from govern.selectors import grid_for_point
from govern.task_outbox import send_after_commit
from hazards import conf
from hazards.core import events
from hazards.core.clean import DESCRIPTION_MAX
from hazards.models import Hazard, HazardEvent, HazardPhoto, Source, Status, TriageRule, max_severity
from hazards.reports import suggestions
from hazards.reports.clean import ReportFields, clean_report_fields
from hazards.reports.selectors import NearbyHazard, hazard_nearby_open
from hazards.reports.tracking import new_tracking_code


@dataclass
class ReportOutcome:
    hazard: Hazard
    duplicates: list[NearbyHazard] = field(default_factory=list)
    photos: list[HazardPhoto] = field(default_factory=list)  # as they stand on return (processing, or done when eager)


def hazard_report(
    *,
    reporter,
    category_slug: str,
    description: str,
    latitude,
    longitude,
    address: str = "",
    contact_phone: str = "",
    contact_consent: bool = False,
    sms_updates: bool = False,
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
    `reporter` is the signed-in user filing it (anonymous: None). `sms_updates`: an anonymous
    reporter asks for the report's status changes by SMS at `contact_phone` (a mainland mobile
    number); a signed-in reporter chooses channels in their notification preferences instead. `severity` lets API clients
    state one (it is never lowered below the category's default). Open311 passes its client
    (`api_client`, a govern.ApiClient the report is attributed to), `client_data` (contact
    fields, attributes), `photos_required=False` (media is optional in GeoReport v2) and
    `description_max=4000` (the standard's limit).
    """
    if reporter is not None and not getattr(reporter, "is_authenticated", False):
        reporter = None
    if source not in Source.values:
        raise InvalidInput(_("Unknown report source."), field="source")
    fields = clean_report_fields(
        category_slug=category_slug,
        description=description,
        latitude=latitude,
        longitude=longitude,
        address=address,
        contact_phone=contact_phone,
        severity=severity,
        description_max=description_max,
    )
    sms_updates = bool(sms_updates) and reporter is None
    if sms_updates and not re.match(MAINLAND_MOBILE_REGEX, fields.contact_phone):
        raise InvalidInput(
            _("For SMS updates, enter a mainland China mobile number: 11 digits starting with 13–19."),
            field="contact_phone",
        )
    grid = grid_for_point(fields.latitude, fields.longitude)
    if grid is None:
        raise InvalidInput(
            _("This point is outside the service area: it lies in no grid. Move the pin into the district."),
            field="location",
            code="outside_service_area",
        )
    checked = check_uploads(list(photos), limits=conf.photo_limits(), min_count=1 if photos_required else 0)
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
                # PostgreSQL may abort it for a deadlock with another transaction (photo
                # processing of a report nearby): run it again (govern.db_retry), the uploads
                # stay in quarantine meanwhile.
                hazard, duplicates, stored = run_with_retry(
                    lambda code=code: _file_report_in_transaction(
                        fields=fields,
                        checked=checked,
                        originals=originals,
                        rules=rules,
                        code=code,
                        reporter=reporter,
                        grid=grid,
                        source=source,
                        api_client=api_client,
                        client_data=client_data,
                        contact_consent=bool(contact_consent),
                        sms_updates=sms_updates,
                    ),
                    what="report intake",
                )
                break
            except IntegrityError:
                # A (very unlikely) tracking-code collision rolls the whole report back and retries it
                # with a new code: cheaper than a savepoint around every insert.
                if not Hazard.objects.filter(tracking_code=code).exists():
                    raise
        else:
            raise Conflict(_("Could not allocate a tracking code; please submit again."))
    # The photo rows left `processing` are the durable record of the work owed (photos_sweep
    # re-sends it when the broker lost or never got the message): no outbox row per report.
    if checked and send_after_commit("hazards.tasks.process_hazard_photos", hazard_id=hazard.pk):
        stored = list(HazardPhoto.objects.filter(hazard_id=hazard.pk).order_by("position", "id"))  # processed already
    return ReportOutcome(hazard=hazard, duplicates=duplicates, photos=stored)


def _file_report_in_transaction(**kwargs) -> tuple[Hazard, list, list]:
    with atomic_pipelined():
        return _file_report(**kwargs)


def _file_report(
    *,
    fields: ReportFields,
    checked,
    originals,
    rules,
    code,
    reporter,
    grid,
    source,
    api_client,
    client_data,
    contact_consent: bool = False,
    sms_updates: bool = False,
) -> tuple[Hazard, list, list]:
    """The writes of one report, inside hazard_report's transaction."""
    hazard = Hazard.objects.create(
        tracking_code=code,
        community_id=grid.community_id,
        **fields.columns(),
        severity=max_severity(fields.category.default_severity, fields.severity),
        reporter=reporter,
        grid=grid,
        source=source,
        api_client=api_client,
        client_data=client_data or {},
        contact_consent=contact_consent,
        sms_updates=sms_updates,
    )
    stored = _store_photos(hazard=hazard, checked=checked, originals=originals)
    insert_later([HazardEvent(hazard=hazard, actor=reporter, from_status="", to_status=Status.SUBMITTED)])
    duplicates = hazard_nearby_open(
        category_id=fields.category.pk, latitude=fields.latitude, longitude=fields.longitude, exclude_id=hazard.pk
    )
    _auto_triage(hazard=hazard, rules=rules, nearby=duplicates)
    publish(events.hazard_topics(hazard, tracking=False), "hazard.created", events.hazard_created(hazard, stored))
    return hazard, duplicates, stored


def _store_photos(*, hazard: Hazard, checked: Sequence[CheckedUpload], originals: Sequence[str]) -> list[HazardPhoto]:
    return HazardPhoto.objects.bulk_create(pending_rows(HazardPhoto, checked, originals, hazard=hazard))


def _auto_triage(*, hazard: Hazard, rules, nearby) -> None:
    found = suggestions.keyword_suggestions(hazard=hazard, rules=rules)
    raised = hazard.severity
    for suggestion in found:
        if suggestion.suggested_severity:
            new = max_severity(raised, suggestion.suggested_severity)
            suggestion.applied = new != raised
            raised = new
    if raised != hazard.severity:
        hazard.severity, hazard.updated_at = raised, timezone.now()
        # Not save(): inside the report's pipeline it would wait for its row count.
        hazard.peak_severity = max_severity(raised, hazard.peak_severity)
        update_later(
            Hazard.objects.filter(pk=hazard.pk),
            severity=raised,
            peak_severity=hazard.peak_severity,
            updated_at=hazard.updated_at,
        )
    found += suggestions.nearby_suggestions(hazard=hazard, nearby=nearby)
    insert_later(found)
