"""Reads of a hazard's fix for its reporter and the public: the latest done task's completion note
and after-photos (renditions only, never who did the work), and the reporter's answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch

from hazards.models import FeedbackPhoto, FixFeedback, Hazard, PhotoStatus, Status, Task, TaskPhoto, TaskStatus
from hazards.reports.feedback import ANSWERABLE
from hazards.reports.ownership import is_reporter

SHOWN_FROM = (Status.RECTIFIED, Status.VERIFIED, Status.CLOSED)


@dataclass(frozen=True)
class Fix:
    note: str
    completed_at: dt.datetime
    verified: bool
    photos: list[TaskPhoto] = field(default_factory=list)


def fix_of(hazard: Hazard) -> Fix | None:
    """The fix a reporter may see (rectified on): two queries, none before the fix."""
    if hazard.status not in SHOWN_FROM:
        return None
    ready = TaskPhoto.objects.filter(status=PhotoStatus.READY).order_by("position", "id")
    task = (
        Task.objects.filter(hazard_id=hazard.pk, status=TaskStatus.DONE)
        .prefetch_related(Prefetch("photos", queryset=ready, to_attr="ready_photos"))
        .order_by("-completed_at", "-id")
        .first()
    )
    if task is None:
        return None
    return Fix(
        note=task.note, completed_at=task.completed_at, verified=task.verified_at is not None, photos=task.ready_photos
    )


def feedback_of(hazard: Hazard) -> FixFeedback | None:
    return FixFeedback.objects.filter(hazard_id=hazard.pk).first()


def may_answer(*, actor, filed, hazard: Hazard, feedback: FixFeedback | None) -> bool:
    """Whether to offer the reporter the feedback form (the service decides for real)."""
    return feedback is None and hazard.status in ANSWERABLE and is_reporter(actor=actor, filed=filed, hazard=hazard)


def answer_photos(feedback: FixFeedback) -> list[FeedbackPhoto]:
    """Every photo of an answer, processing or not (its reporter sees what they sent)."""
    return list(FeedbackPhoto.objects.filter(feedback_id=feedback.pk).order_by("position", "id"))
