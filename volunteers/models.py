"""Models of the volunteers app: skills, teams, volunteer profiles, availability, status history and
service records.

Invariants live in constraints so that both databases enforce them whatever code writes the row:
one profile per user, one profile per mobile number, on duty only when approved and only with a
complete position (positions exist only while on duty), a leader always belongs to a team, and
a manual service record is never approved by the person who submitted it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from govern.models import Community, mainland_mobile_validator, mask_phone
from volunteers import conf


class Skill(models.Model):
    """A skill a responder may hold (first aid, electrician, gas safety...). Dispatch can require one."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Retired skills stay on the profiles that hold them but are no longer offered to applicants.
    is_active = models.BooleanField(_("offered to applicants"), default=True)
    # A licensed trade (gas, electrical work): a claim counts for dispatch only once a dispatcher
    # has seen a photo of the certificate, not on the volunteer's word.
    licensed = models.BooleanField(
        _("licensed"), default=False, help_text=_("A certificate photo is needed before the skill counts for dispatch.")
    )

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language."""
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Team(models.Model):
    """A named volunteer team of one community (e.g. 黎里蓝盾志愿队), led by one or more of its members."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="volunteer_teams", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_name_unique_in_community")]

    def __str__(self) -> str:
        return self.name


class VolunteerStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("volunteer status", "pending")
    APPROVED = "approved", pgettext_lazy("volunteer status", "approved")
    REJECTED = "rejected", pgettext_lazy("volunteer status", "rejected")
    SUSPENDED = "suspended", _("suspended")


class Volunteer(models.Model):
    """志愿者: one profile per user. Status changes only through volunteers.services (with history)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer", verbose_name=_("user")
    )
    real_name = models.CharField(_("real name"), max_length=40)
    phone = models.CharField(_("mobile number"), max_length=11, validators=[mainland_mobile_validator])
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="volunteers", verbose_name=_("community")
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    is_team_leader = models.BooleanField(_("team leader"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=VolunteerStatus.choices, default=VolunteerStatus.PENDING
    )
    status_reason = models.CharField(_("reason of the last decision"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    skills = models.ManyToManyField(
        Skill, through="VolunteerSkill", related_name="volunteers", verbose_name=_("skills")
    )
    max_active_tasks = models.PositiveSmallIntegerField(
        _("active task limit"),
        default=conf.default_max_active_tasks,
        help_text=_("How many tasks dispatch may give this volunteer at the same time."),
    )
    # Duty and position. A position exists only while on duty (cleared when going off duty).
    on_duty = models.BooleanField(_("on duty"), default=False)
    duty_changed_at = models.DateTimeField(_("duty changed at"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    position_updated_at = models.DateTimeField(_("position updated at"), null=True, blank=True)
    # Approved service minutes, kept by the services with F() next to each approved record.
    service_minutes = models.PositiveIntegerField(_("service minutes"), default=0, editable=False)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["id"]
        indexes = [
            # Dispatch's candidate query: a bounding box on the positions of on-duty volunteers.
            # Partial, so it holds only the (few) people on duty, on SQLite and PostgreSQL alike.
            models.Index(
                fields=["latitude", "longitude", "position_updated_at"],
                condition=Q(on_duty=True),
                name="volunteer_duty_position_idx",
            ),
            models.Index(fields=["status", "applied_at"], name="volunteer_status_applied_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["phone"], name="volunteer_phone_unique"),
            models.CheckConstraint(
                condition=Q(on_duty=False) | Q(status=VolunteerStatus.APPROVED),
                name="volunteer_on_duty_only_when_approved",
            ),
            models.CheckConstraint(
                condition=(
                    Q(on_duty=True, latitude__isnull=False, longitude__isnull=False, position_updated_at__isnull=False)
                    | Q(on_duty=False, latitude__isnull=True, longitude__isnull=True, position_updated_at__isnull=True)
                ),
                name="volunteer_position_iff_on_duty",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="volunteer_position_in_range",
            ),
            models.CheckConstraint(
                condition=Q(is_team_leader=False) | Q(team__isnull=False), name="volunteer_leader_has_team"
            ),
            models.CheckConstraint(
                condition=Q(max_active_tasks__gte=1, max_active_tasks__lte=20), name="volunteer_task_limit_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.real_name} ({self.user.username})" if self.user_id else self.real_name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def position_fresh(self, now=None) -> bool:
        """On duty with a position younger than VOLUNTEER_POSITION_MAX_AGE."""
        if not self.on_duty or self.position_updated_at is None:
            return False
        return (now or timezone.now()) - self.position_updated_at <= conf.position_max_age()


class VolunteerSkill(models.Model):
    """A skill a volunteer holds, with an optional certificate and its expiry."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="skill_links")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="holders", verbose_name=_("skill"))
    certificate_no = models.CharField(_("certificate number"), max_length=60, blank=True)
    certified_until = models.DateField(
        _("certified until"), null=True, blank=True, help_text=_("Empty: no certificate needed or no expiry.")
    )
    # Dispatch counts a skill only once a dispatcher has reviewed the claim (when approving the
    # application, or by setting the skills themselves): a volunteer's own edit adds or changes a
    # claim unreviewed, so nobody certifies themselves for gas leaks (issue 21).
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    # The certificate as the volunteer photographed it, re-encoded by govern.media (no metadata).
    certificate_photo = models.ImageField(_("certificate photo"), upload_to="certificates/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("volunteer skill")
        verbose_name_plural = _("volunteer skills")
        ordering = ["skill_id"]
        constraints = [models.UniqueConstraint(fields=["volunteer", "skill"], name="volunteer_skill_unique")]
        indexes = [models.Index(fields=["skill", "certified_until"], name="volunteer_skill_valid_idx")]

    def __str__(self) -> str:
        return str(self.skill)

    def valid_on(self, day) -> bool:
        return self.certified_until is None or self.certified_until >= day

    @property
    def needs_certificate_photo(self) -> bool:
        return self.skill.licensed and not self.certificate_photo


# The claims a review may confirm: a licensed skill only with its certificate photo.
REVIEWABLE_SKILL = Q(skill__licensed=False) | ~Q(certificate_photo="")


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class AvailabilitySlot(models.Model):
    """When a volunteer is usually available: an ISO weekday (1 = Monday ... 7 = Sunday) and a time range."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=7), name="availability_weekday_range"),
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="availability_start_before_end"),
            models.UniqueConstraint(fields=["volunteer", "weekday", "start_time"], name="availability_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class VolunteerStatusChange(models.Model):
    """History of a volunteer's status: who decided, when, from what to what, and why."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=VolunteerStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class ServiceRecordSource(models.TextChoices):
    TASK = "task", _("verified task")
    MANUAL = "manual", _("manual entry")
    IMPORT = "import", _("imported")


class ServiceRecordStatus(models.TextChoices):
    PENDING = "pending", _("pending review")
    APPROVED = "approved", pgettext_lazy("service record status", "approved")
    REJECTED = "rejected", pgettext_lazy("service record status", "rejected")


class ServiceRecord(models.Model):
    """Minutes of service. Dispatch writes approved records per verified task (idempotent by
    `source_ref`); volunteers submit manual entries that a team leader or dispatcher reviews."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="service_records")
    # The team the volunteer served in at the time, so team totals survive members moving on.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="service_records")
    minutes = models.PositiveIntegerField(_("minutes"))
    source = models.CharField(_("source"), max_length=16, choices=ServiceRecordSource.choices)
    source_ref = models.CharField(_("source reference"), max_length=80, null=True, blank=True)
    served_on = models.DateField(_("served on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ServiceRecordStatus.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.CharField(_("review note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["volunteer", "status"], name="service_record_volunteer_idx"),
            models.Index(fields=["team", "status"], name="service_record_team_idx"),
            models.Index(fields=["status", "created_at"], name="service_record_status_idx"),
        ]
        constraints = [
            # One record per task (or other source): dispatch may retry without double-counting.
            models.UniqueConstraint(fields=["source_ref"], name="service_record_source_ref_unique"),
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=1440), name="service_record_minutes_range"),
            models.CheckConstraint(
                condition=Q(source=ServiceRecordSource.MANUAL) | Q(source_ref__isnull=False),
                name="service_record_ref_unless_manual",
            ),
            models.CheckConstraint(
                condition=Q(source=ServiceRecordSource.MANUAL) | ~Q(status=ServiceRecordStatus.PENDING),
                name="service_record_only_manual_pending",
            ),
            models.CheckConstraint(
                condition=~Q(source=ServiceRecordSource.MANUAL)
                | Q(status=ServiceRecordStatus.PENDING)
                | Q(reviewed_by__isnull=False),
                name="service_record_manual_reviewed_by_someone",
            ),
            # Never approved (or rejected) by the person who submitted it.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(reviewed_by=F("submitted_by")),
                name="service_record_not_self_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min · {self.get_source_display()} · {self.get_status_display()}"


class ServiceCertificate(models.Model):
    """服务时长证明: a printable statement of a volunteer's approved service hours on the day it was
    issued, with a verification code anyone can check at /verify/certificate/<code>/.

    What it states is copied when it is issued (name, community, team, minutes, stars), so the
    check shows what the paper says even after the volunteer serves more. One per volunteer and
    total (a constraint): asking twice without new service gives the same certificate.
    """

    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("volunteer")
    )
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    real_name = models.CharField(_("real name"), max_length=40)
    community_name = models.CharField(_("community"), max_length=100)
    team_name = models.CharField(_("team"), max_length=100, blank=True)
    service_minutes = models.PositiveIntegerField(_("service minutes"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_certificates_issued",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("service certificate")
        verbose_name_plural = _("service certificates")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(service_minutes__gt=0), name="certificate_minutes_positive"),
            models.CheckConstraint(condition=Q(stars__lte=5), name="certificate_stars_at_most_five"),
            models.UniqueConstraint(fields=["volunteer", "service_minutes"], name="certificate_once_per_total"),
        ]

    def __str__(self) -> str:
        return f"{self.real_name} · {self.service_minutes} min · {self.code}"

    @property
    def hours(self) -> float:
        return round(self.service_minutes / 60, 1)
