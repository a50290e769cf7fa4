"""The reporter's answer to a fix (issue 18): fixed (1–5 stars, an optional comment) or not fixed
(a reason), once per hazard, after the fix. Writes only; the reads are in
hazards.reports.fix (what the tracking page and the API show).

"Not fixed" changes no status: the hazard waits in the board's "reopen requested" queue
(govern.office.selectors.loop) until a dispatcher reopens or closes it. It may carry a photo of
what is still wrong, through the report pipeline (govern.media: the fast checks in the request,
the upload quarantined, re-encoded after the commit by hazards.reports.feedback_photos).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import publish
from govern.media.checks import check_uploads
from govern.media.pending import pending_rows
from govern.media.writer import PhotoWriter
from govern.task_outbox import send_after_commit
from hazards import conf
from hazards.core import events
from hazards.core.clean import clean_text
from hazards.core.locks import lock_hazard
from hazards.models import FeedbackPhoto, FixFeedback, Hazard, Status, Task, TaskStatus
from hazards.reports.ownership import is_reporter
from hazards.reports.tracking import normalise_tracking_code

# A fix exists to answer from rectified on (verified and closed keep the answer possible).
ANSWERABLE = (Status.RECTIFIED, Status.VERIFIED, Status.CLOSED)
MAX_ANSWER_PHOTOS = 1


def answer_photo_limits():
    """A report photo's limits, one photo per answer."""
    return replace(conf.photo_limits(), max_count=MAX_ANSWER_PHOTOS)


def _clean_stars(stars) -> int:
    try:
        value = int(stars)
    except (TypeError, ValueError):
        value = 0
    if str(stars).strip() != str(value) or not 1 <= value <= 5:
        raise InvalidInput(_("Give the fix 1 to 5 stars."), field="stars")
    return value


def feedback_submit(
    *,
    tracking_code: str,
    actor,
    filed: Collection[int] = (),
    fixed: bool,
    stars=None,
    comment: str = "",
    photos: Sequence = (),
) -> FixFeedback:
    """The reporter answers once: `actor` the signed-in user (or None / anonymous), `filed` the
    hazard ids this browser session filed anonymously (hazards.reports.ownership). 404 for an
    unknown code, 403 for anyone but the reporter, 409 before the fix and for a second answer.
    "Not fixed" may bring one photo (`photos`), checked before anything is written and
    re-encoded after the commit; a photo with "fixed" is a 400 naming `photos`."""
    photos = [p for p in photos if p is not None]
    if photos and fixed:
        raise InvalidInput(_('A photo goes with a "not fixed" answer only.'), field="photos")
    checked = check_uploads(photos, limits=answer_photo_limits(), min_count=0) if photos else []
    with PhotoWriter("feedback") as writer:
        originals = [writer.write_original(upload) for upload in checked]
        with transaction.atomic():
            feedback = _answer(
                tracking_code=tracking_code, actor=actor, filed=filed, fixed=fixed, stars=stars, comment=comment
            )
            if checked:
                FeedbackPhoto.objects.bulk_create(pending_rows(FeedbackPhoto, checked, originals, feedback=feedback))
    if checked:
        send_after_commit("hazards.tasks.process_feedback_photos", feedback_id=feedback.pk)
    return feedback


def _answer(*, tracking_code: str, actor, filed: Collection[int], fixed: bool, stars, comment: str) -> FixFeedback:
    code = normalise_tracking_code(tracking_code)
    hazard_id = Hazard.objects.filter(tracking_code=code).values_list("pk", flat=True).first()
    if hazard_id is None:
        raise NotFound(_("No hazard has this tracking code."))
    hazard = lock_hazard(hazard_id)
    if not is_reporter(actor=actor, filed=frozenset(filed), hazard=hazard):
        raise PermissionDenied(_("Only the person who reported this hazard can answer whether it was fixed."))
    if hazard.status not in ANSWERABLE:
        raise Conflict(_("There is no fix to answer yet."), code="no_fix")
    if FixFeedback.objects.filter(hazard_id=hazard.pk).exists():
        raise Conflict(_("You have already answered for this report."), code="feedback_given")
    if fixed:
        value, text = _clean_stars(stars), clean_text(comment, field="comment")
    else:
        value = None
        text = clean_text(comment, field="comment", required=True, message=_("Say what is still wrong."))
    task = Task.objects.filter(hazard_id=hazard.pk, status=TaskStatus.DONE).order_by("-completed_at", "-id").first()
    try:
        with transaction.atomic():
            feedback = FixFeedback.objects.create(
                hazard=hazard, task=task, fixed=bool(fixed), stars=value, comment=text, created_at=timezone.now()
            )
    except IntegrityError as exc:  # the one-per-hazard constraint, should the lock be bypassed
        raise Conflict(_("You have already answered for this report."), code="feedback_given") from exc
    publish(events.hazard_topics(hazard), "hazard.feedback", events.hazard_feedback(hazard, feedback, photos=0))
    return feedback
