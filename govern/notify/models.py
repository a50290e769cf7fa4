"""Notification tables (app label `govern`; imported by govern.models)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    INBOX = "inbox", pgettext_lazy("notification channel", "in-app")
    PUSH = "push", pgettext_lazy("notification channel", "push")
    EMAIL = "email", pgettext_lazy("notification channel", "e-mail")
    SMS = "sms", pgettext_lazy("notification channel", "SMS")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("notification status", "waiting")
    SENDING = "sending", pgettext_lazy("notification status", "sending")
    SENT = "sent", pgettext_lazy("notification status", "sent")
    SKIPPED = "skipped", pgettext_lazy("notification status", "skipped")
    FAILED = "failed", pgettext_lazy("notification status", "failed")
    CANCELLED = "cancelled", pgettext_lazy("notification status", "not needed")


class Notification(models.Model):
    """One message owed to one person on one channel because of one live event.

    `event_id` is the live event's id as a plain number, not a foreign key: live events are pruned
    after a week, notifications (the inbox) are kept longer. (event_id, user, channel) is unique:
    however often the event is recorded or its delivery redelivered, one message at most.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event_id = models.BigIntegerField(_("live event"))
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    severity = models.CharField(_("severity"), max_length=10, default="medium")
    # What it is about, for grouping the ladder's rows and the board ("task:17", "hazard:K7QX9M").
    ref = models.CharField(max_length=60, blank=True, default="")
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    # A ladder step is sent only while its condition holds (govern.notify.delivery.CONDITIONS).
    condition = models.CharField(max_length=40, blank=True, default="")
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "channel", "read_at"], name="notification_inbox"),
            models.Index(fields=["status", "due_at"], name="notification_due"),
            models.Index(fields=["user", "ref"], name="notification_ref"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "user", "channel"], name="notification_once_per_channel"),
            models.CheckConstraint(condition=Q(channel__in=[c.value for c in Channel]), name="notification_channel"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in NotificationStatus]), name="notification_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id} ({self.channel}, {self.status})"


class NotificationPreference(models.Model):
    """A person's choices: channels per kind (absent kind: the kind's defaults) and quiet hours
    (local time; a window may cross midnight; critical messages ignore it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    channels = models.JSONField(default=dict)
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(quiet_start__isnull=True) & Q(quiet_end__isnull=True))
                | (Q(quiet_start__isnull=False) & Q(quiet_end__isnull=False)),
                name="notification_quiet_both_or_none",
            )
        ]

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class PushSubscription(models.Model):
    """One browser's Web Push subscription (the PushSubscription JSON the page sends)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"push for {self.user_id}: {self.endpoint[:40]}"
