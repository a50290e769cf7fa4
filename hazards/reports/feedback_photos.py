"""Processing the photo of a "not fixed" answer once the answer commits (the Celery task
`hazards.tasks.process_feedback_photos` runs it; eager in embedded mode): as hazards.dispatch.photos
does for after-photos. Idempotent, decoded outside the transaction, the original deleted once the
outcome is committed, `hazard.feedback` sent again with the number of photos now ready."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from govern.live import publish
from govern.media.pending import apply_outcomes, process_pending
from govern.media.writer import PhotoWriter
from hazards import conf
from hazards.core import events
from hazards.core.locks import lock_hazard
from hazards.models import FeedbackPhoto, FixFeedback, PhotoStatus
from hazards.reports.feedback import answer_photo_limits


def feedback_photos_process(*, feedback_id: int) -> dict:
    pending = list(
        FeedbackPhoto.objects.filter(feedback_id=feedback_id, status=PhotoStatus.PROCESSING).order_by("position", "id")
    )
    return process_pending(
        pending,
        limits=answer_photo_limits(),
        apply=lambda outcomes: _apply(feedback_id=feedback_id, pending=pending, outcomes=outcomes),
        what="answer photo processing",
    )


def _apply(*, feedback_id: int, pending: list[FeedbackPhoto], outcomes) -> tuple[bool, list, list[str]]:
    with PhotoWriter("feedback") as writer, transaction.atomic():
        hazard_id = FixFeedback.objects.filter(pk=feedback_id).values_list("hazard_id", flat=True).first()
        if hazard_id is None:
            return True, [], []
        hazard = lock_hazard(hazard_id)  # the one order: the hazard, then its photo rows
        feedback = FixFeedback.objects.filter(pk=feedback_id).first()
        if feedback is None:
            return True, [], []
        rows = list(
            FeedbackPhoto.objects.select_for_update(no_key=True)
            .filter(feedback_id=feedback_id, pk__in=[row.pk for row in pending], status=PhotoStatus.PROCESSING)
            .order_by("pk")
        )
        changed, originals = apply_outcomes(
            rows, outcomes, writer, give_up_before=timezone.now() - conf.photo_unreadable_give_up()
        )
        if changed:
            ready = FeedbackPhoto.objects.filter(feedback_id=feedback_id, status=PhotoStatus.READY).count()
            publish(
                events.hazard_topics(hazard), "hazard.feedback", events.hazard_feedback(hazard, feedback, photos=ready)
            )
    return False, changed, originals
