"""Kernel models every app may import: users, geography (communities and grids), live events."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Mainland China mobile numbers: 11 digits starting 13-19.
MAINLAND_MOBILE_REGEX = r"^1[3-9]\d{9}$"
mainland_mobile_validator = RegexValidator(
    MAINLAND_MOBILE_REGEX, _("Enter a mainland China mobile number: 11 digits starting with 13–19.")
)


class User(AbstractUser):
    """A person using govern. Roles are Django groups (see govern.roles)."""

    phone = models.CharField(_("mobile number"), max_length=11, blank=True, validators=[mainland_mobile_validator])
    display_name = models.CharField(_("display name"), max_length=60, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_phone(phone: str) -> str:
    """138****1234: what everyone but the owner and dispatchers sees."""
    if not phone or len(phone) < 7:
        return ""
    return f"{phone[:3]}****{phone[-4:]}"


class Community(models.Model):
    """社区: a community inside the district, made of grids."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """网格: a polygon inside a community, owned by one or more grid workers.

    The boundary is a GeoJSON Polygon (WGS84, [lng, lat] order). The bounding box is cached in
    indexed columns so that point lookups prefilter in SQL before exact geometry in shapely.
    """

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    boundary = models.JSONField(_("boundary (GeoJSON Polygon)"))
    min_latitude = models.FloatField(editable=False)
    max_latitude = models.FloatField(editable=False)
    min_longitude = models.FloatField(editable=False)
    max_longitude = models.FloatField(editable=False)
    center_latitude = models.FloatField(editable=False)
    center_longitude = models.FloatField(editable=False)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="grids", blank=True, verbose_name=_("grid workers")
    )

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["id"]
        indexes = [models.Index(fields=["min_latitude", "max_latitude", "min_longitude", "max_longitude"])]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_name_unique_in_community"),
            models.CheckConstraint(
                condition=models.Q(min_latitude__lte=models.F("max_latitude"))
                & models.Q(min_longitude__lte=models.F("max_longitude")),
                name="grid_bbox_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} · {self.name}" if self.community_id else self.name


class LiveEvent(models.Model):
    """One event on the live road (the outbox). Ids are ordered and commit in id order (see
    govern.live.publish), so "every event after N" is a complete answer; clients resume after an id."""

    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    topics = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"

    def as_message(self) -> dict:
        """The envelope every client receives (docs/events.md)."""
        return {"id": self.pk, "type": self.type, "data": self.data, "at": self.created_at.isoformat()}


class LiveEventTopic(models.Model):
    """Which topics an event went to: an indexed table so replay is `topic IN (...) AND id > N`
    on every database (JSON containment is not portable to SQLite)."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="topic_rows")
    topic = models.CharField(max_length=120)

    class Meta:
        indexes = [models.Index(fields=["topic", "event"])]
        constraints = [models.UniqueConstraint(fields=["event", "topic"], name="live_event_topic_unique")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.event_id}"


class ApiClient(models.Model):
    """A client organisation allowed to post through Open311 (and other key-authenticated APIs).

    Only a SHA-256 of the key is stored: a leaked database does not leak working keys. The key
    is shown once, when it is issued.
    """

    name = models.CharField(_("organisation"), max_length=120, unique=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class LiveOutboxState(models.Model):
    """One row: how far retention has pruned the outbox. Every event with id <= pruned_through may
    be gone, so a client whose position is below it must resync; it never moves backwards, and it
    still answers when pruning has emptied the table."""

    pruned_through = models.BigIntegerField(default=0)
    # The database these ids were handed out in (govern.live_epoch): a restore into another
    # database is noticed after migrate, and a new stream epoch starts.
    database_identity = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="live_outbox_state_singleton"),
            models.CheckConstraint(condition=models.Q(pruned_through__gte=0), name="live_outbox_pruned_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"pruned through #{self.pruned_through}"


class PendingTask(models.Model):
    """A Celery task that a committed transaction owes the world (the task outbox).

    Written in the same transaction as the change that needs it, sent on commit and deleted once
    the broker took it; when the broker is down the row stays and the beat job
    `govern.tasks.send_pending_tasks` sends it later. Tasks are idempotent (ids in, a service that
    checks state), so sending one twice after a crash is harmless; losing one is not.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


# --- Notifications (govern.notify: what they are, how they are sent) ------------------------------


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

    # None for someone without an account, reached at `phone` by SMS only (an anonymous reporter who
    # asked for SMS updates on the report form).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")
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
            models.UniqueConstraint(
                fields=["event_id", "phone", "channel"],
                condition=Q(user__isnull=True),
                name="notification_once_per_phone",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | (Q(channel="sms") & ~Q(phone="")),
                name="notification_has_recipient",
            ),
            models.CheckConstraint(condition=Q(channel__in=[c.value for c in Channel]), name="notification_channel"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in NotificationStatus]), name="notification_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id or 'phone'} ({self.channel}, {self.status})"


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
