"""Tasks: the work a hazard is dispatched as, its after-photos, and the resident's answer to the fix.

Constraints as in `hazards.models.hazard`: statuses in their sets, one live task per person and
hazard, one engaged task per hazard, one answer per hazard.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hazards.models.hazard import Hazard, PhotoStatus, StoredPhoto, photo_constraints


class TaskStatus(models.TextChoices):
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", pgettext_lazy("task status", "in progress")
    DONE = "done", pgettext_lazy("task status", "done")
    DECLINED = "declined", _("declined")
    EXPIRED = "expired", pgettext_lazy("task status", "expired")
    CANCELLED = "cancelled", pgettext_lazy("task status", "cancelled")


# Someone still holds (or may take) the work: at most one such task per (hazard, assignee).
LIVE_TASK_STATUSES = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.DONE)
# Someone took the work: at most one such task per hazard (the race for a broadcast offer).
ENGAGED_TASK_STATUSES = (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.DONE)
# Counted against a person's task limit.
BUSY_TASK_STATUSES = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
ENDED_TASK_STATUSES = (TaskStatus.DECLINED, TaskStatus.EXPIRED, TaskStatus.CANCELLED)

# A done task stays live until it is verified (a refusal returns it to in_progress).
LIVE_TASK_Q = Q(status__in=[TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]) | Q(
    status=TaskStatus.DONE, verified_at__isnull=True
)
ENGAGED_TASK_Q = Q(status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]) | Q(
    status=TaskStatus.DONE, verified_at__isnull=True
)


class AssigneeKind(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    VOLUNTEER = "volunteer", _("volunteer")


class Task(models.Model):
    """派单: one assignment of a hazard to one person (DESIGN.md §3).

    offered → accepted → in_progress → done, exits declined / expired (accept deadline passed) /
    cancelled (another person accepted the same broadcast offer, or a dispatcher withdrew it).
    A done task is verified (verified_at set; the hazard becomes verified) or refused (back to
    in_progress with the reason). Only hazards.dispatch writes these rows.
    """

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("hazard"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hazard_tasks", verbose_name=_("assignee")
    )
    assignee_kind = models.CharField(_("assignee is a"), max_length=12, choices=AssigneeKind.choices)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered by"),
    )
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OFFERED)
    # Where the assignee was when offered (metres; null when unknown) — the dispatcher's reason.
    distance_m = models.FloatField(_("distance when offered (m)"), null=True, blank=True)
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    accept_deadline = models.DateTimeField(_("accept by"))
    due_at = models.DateTimeField(_("due at"))
    overdue = models.BooleanField(_("overdue"), default=False)
    # Escalation reminded the assignee that the offer expires soon (once: set under the task's lock).
    expiry_warned_at = models.DateTimeField(_("reminded before the accept deadline"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    # An after-photo failed a proof check (hazards.dispatch.proof): only a dispatcher verifies it.
    proof_flagged = models.BooleanField(_("proof of the fix flagged"), default=False)
    instructions = models.CharField(_("instructions"), max_length=500, blank=True)
    note = models.CharField(_("completion note"), max_length=500, blank=True)
    reason = models.CharField(_("reason (decline, cancel or refusal)"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_status_due"),
            models.Index(fields=["hazard", "status"], name="task_hazard_status"),
            models.Index(fields=["status", "accept_deadline"], name="task_status_deadline"),
            models.Index(fields=["status", "due_at"], name="task_status_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
            models.CheckConstraint(condition=Q(assignee_kind__in=AssigneeKind.values), name="task_kind_valid"),
            models.CheckConstraint(condition=Q(accept_deadline__gt=F("offered_at")), name="task_deadline_after_offer"),
            models.CheckConstraint(condition=Q(due_at__gte=F("accept_deadline")), name="task_due_after_deadline"),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | Q(status=TaskStatus.DONE), name="task_only_done_is_verified"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=False) | ~Q(status=TaskStatus.DONE), name="task_done_has_completed_at"
            ),
            models.UniqueConstraint(
                fields=["hazard", "assignee"], condition=LIVE_TASK_Q, name="task_one_live_per_person"
            ),
            models.UniqueConstraint(fields=["hazard"], condition=ENGAGED_TASK_Q, name="task_one_engaged_per_hazard"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} · hazard {self.hazard_id} → user {self.assignee_id} · {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in BUSY_TASK_STATUSES or (self.status == TaskStatus.DONE and self.verified_at is None)


# The proof checks an after-photo can fail, each a boolean field of TaskPhoto of the same name.
PROOF_FLAGS = ("same_as_report", "reused", "taken_outside_window", "far_from_hazard", "no_camera_metadata")


class TaskPhoto(StoredPhoto):
    """An after-photo of a task (the proof of the fix), through the same pipeline as reports.

    When it is processed, the proof checks (hazards.dispatch.proof) fill the flags below: the same
    picture as the report's photos, a picture already used as another task's after-photo, taken
    outside the time from accept to done, taken far from the hazard, no camera information at all.
    Of the EXIF position only the distance is kept, never the coordinates.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="photos")
    # Perceptual-hash distance (bits of 64) to the closest photo of the report; null without one.
    report_phash_distance = models.PositiveSmallIntegerField(null=True, blank=True)
    same_as_report = models.BooleanField(_("same picture as the report"), default=False)
    reused = models.BooleanField(_("already used for another task"), default=False)
    reused_from_task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("used before for")
    )
    taken_at = models.DateTimeField(_("taken at (EXIF)"), null=True, blank=True)
    taken_outside_window = models.BooleanField(_("taken outside accept to done"), default=False)
    gps_distance_m = models.FloatField(_("taken this far from the hazard (m)"), null=True, blank=True)
    far_from_hazard = models.BooleanField(_("taken far from the hazard"), default=False)
    no_camera_metadata = models.BooleanField(_("no camera information"), default=False)

    class Meta:
        verbose_name = _("task photo")
        verbose_name_plural = _("task photos")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="processing"), name="taskphoto_pending"),
            # The reused-picture check looks other tasks' photos up by hash band, as reports do.
            models.Index(fields=["phash_b0"], name="taskphoto_b0"),
            models.Index(fields=["phash_b1"], name="taskphoto_b1"),
            models.Index(fields=["phash_b2"], name="taskphoto_b2"),
            models.Index(fields=["phash_b3"], name="taskphoto_b3"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["task", "position"], name="task_photo_position_unique"),
            *photo_constraints("taskphoto"),
            # Only a processed photo has been checked.
            models.CheckConstraint(
                condition=Q(status=PhotoStatus.READY)
                | Q(
                    same_as_report=False,
                    reused=False,
                    taken_outside_window=False,
                    far_from_hazard=False,
                    no_camera_metadata=False,
                ),
                name="taskphoto_flags_only_when_ready",
            ),
            # Each flag keeps what it was decided on.
            models.CheckConstraint(
                condition=Q(same_as_report=False) | Q(report_phash_distance__isnull=False),
                name="taskphoto_same_has_distance",
            ),
            models.CheckConstraint(
                condition=Q(report_phash_distance__isnull=True) | Q(report_phash_distance__lte=64),
                name="taskphoto_phash_distance_range",
            ),
            models.CheckConstraint(
                condition=Q(taken_outside_window=False) | Q(taken_at__isnull=False), name="taskphoto_outside_has_time"
            ),
            models.CheckConstraint(
                condition=Q(gps_distance_m__isnull=True) | Q(gps_distance_m__gte=0), name="taskphoto_gps_distance_range"
            ),
            models.CheckConstraint(
                condition=Q(far_from_hazard=False) | Q(gps_distance_m__isnull=False), name="taskphoto_far_has_distance"
            ),
            models.CheckConstraint(condition=~Q(reused_from_task=F("task")), name="taskphoto_reused_from_another"),
        ]

    def __str__(self) -> str:
        return f"photo {self.position + 1} of task {self.task_id}"

    @property
    def proof_flags(self) -> list[str]:
        """The checks this photo failed, by code (the same codes as the API's `proof_flags`)."""
        return [code for code in PROOF_FLAGS if getattr(self, code)]


# --- the reporter's answer to a fix (issue 18) -----------------------------------------------------


class FixFeedback(models.Model):
    """The reporter's one answer once a hazard is rectified: fixed (1–5 stars, a comment) or not
    fixed (a reason). "Not fixed" puts the hazard in the board's "reopen requested" queue until a
    dispatcher reopens or closes it; nothing reopens by itself. One per hazard (a DB constraint)."""

    hazard = models.OneToOneField(Hazard, on_delete=models.CASCADE, related_name="feedback")
    # The task whose fix is answered (the latest done one when the answer came); null if none.
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    fixed = models.BooleanField(_("fixed"))
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("fix feedback")
        verbose_name_plural = _("fix feedback")
        ordering = ["-created_at", "-id"]
        constraints = [
            # fixed: 1–5 stars; not fixed: no stars and a reason.
            models.CheckConstraint(
                condition=(Q(fixed=True) & Q(stars__gte=1) & Q(stars__lte=5))
                | (Q(fixed=False) & Q(stars__isnull=True) & ~Q(comment="")),
                name="fixfeedback_stars_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"feedback on hazard {self.hazard_id}: {'fixed' if self.fixed else 'not fixed'}"


class FeedbackPhoto(StoredPhoto):
    """A photo with the reporter's "not fixed" answer (what is still wrong), through the same
    pipeline as reports: only re-encoded renditions are served, the upload never."""

    feedback = models.ForeignKey(FixFeedback, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = _("answer photo")
        verbose_name_plural = _("answer photos")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="processing"), name="feedbackphoto_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["feedback", "position"], name="feedback_photo_position_unique"),
            *photo_constraints("feedbackphoto"),
        ]

    def __str__(self) -> str:
        return f"photo {self.position + 1} of the answer on hazard feedback {self.feedback_id}"
