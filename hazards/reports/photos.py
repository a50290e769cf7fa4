"""Processing a report's photos after the report commits (the Celery task
`hazards.tasks.process_hazard_photos` runs it; eager in embedded mode)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from govern.live import publish
from govern.media.pending import apply_outcomes, process_pending
from govern.media.writer import PhotoWriter
from hazards import conf
from hazards.core import events
from hazards.models import Hazard, HazardPhoto, PhotoStatus, TriageSuggestion
from hazards.reports import suggestions


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

    def apply(outcomes):
        hazard, changed, originals = _apply(hazard_id=hazard_id, pending=pending, outcomes=outcomes)
        return hazard is None, changed, originals  # deleted meanwhile: its uploads go too

    return process_pending(pending, limits=conf.photo_limits(), apply=apply, what="hazard photo processing")


def _apply(*, hazard_id: int, pending: list[HazardPhoto], outcomes) -> tuple[Hazard | None, list, list[str]]:
    """The rows filled in from the outcomes, in one transaction: (the hazard, or None when it was
    deleted meanwhile; the rows that changed; the originals to delete once committed)."""
    changed, originals = [], []
    with PhotoWriter("hazards") as writer, transaction.atomic():
        # Not lock_hazard: a hazard deleted meanwhile is no error here (its rows went with it).
        # FOR NO KEY UPDATE, as lock_hazard: a report nearby referencing this hazard (a duplicate
        # suggestion) takes FOR KEY SHARE at its commit, after the publish lock; FOR UPDATE here
        # would wait in a circle with it (this transaction waits for the publish lock next).
        hazard = (
            Hazard.objects.select_for_update(of=("self",), no_key=True)
            .select_related("category")
            .filter(pk=hazard_id)
            .first()
        )
        if hazard is None:
            return None, changed, originals
        rows = list(
            HazardPhoto.objects.select_for_update(no_key=True)
            .filter(hazard_id=hazard_id, pk__in=[row.pk for row in pending], status=PhotoStatus.PROCESSING)
            .order_by("pk")
        )
        changed, originals = apply_outcomes(
            rows, outcomes, writer, give_up_before=timezone.now() - conf.photo_unreadable_give_up()
        )
        if changed:
            by_id = {outcome.photo_id: outcome.processed for outcome in outcomes if outcome.processed is not None}
            fresh = [by_id[row.pk] for row in changed if row.pk in by_id]
            TriageSuggestion.objects.bulk_create(suggestions.similar_photo_suggestions(hazard=hazard, photos=fresh))
            photos = list(HazardPhoto.objects.filter(hazard_id=hazard_id).order_by("position", "id"))
            publish(events.hazard_topics(hazard), "hazard.photos_ready", events.hazard_photos_ready(hazard, photos))
    return hazard, changed, originals
