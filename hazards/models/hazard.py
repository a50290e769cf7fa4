"""Hazards, their categories, photos, events and triage rules (the reporting side of the app).

Invariants are database constraints (statuses and severities in their sets, coordinates in
range, a duplicate always names its original and only a duplicate does), because services are
not the only thing that can write rows (admin, shell, bulk seeds) and SQLite ignores row locks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govern.i18n import in_language
from govern.models import ApiClient, Community, Grid


class Severity(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


def max_severity(a: str, b: str | None) -> str:
    """The graver of two severities (None counts as no opinion)."""
    if not b:
        return a
    return a if SEVERITY_RANK[Severity(a)] >= SEVERITY_RANK[Severity(b)] else b


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    TRIAGED = "triaged", _("triaged")
    DISPATCHED = "dispatched", _("dispatched")
    IN_PROGRESS = "in_progress", pgettext_lazy("hazard status", "in progress")
    RECTIFIED = "rectified", _("rectified")
    VERIFIED = "verified", _("verified")
    CLOSED = "closed", pgettext_lazy("hazard status", "closed")
    REJECTED = "rejected", pgettext_lazy("hazard status", "rejected")
    DUPLICATE = "duplicate", _("duplicate")
    REOPENED = "reopened", _("reopened")


# A hazard in one of these states needs no more work.
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.DUPLICATE})
OPEN_STATUSES = frozenset(set(Status) - FINAL_STATUSES)


class Source(models.TextChoices):
    WEB = "web", _("web form")
    API = "api", _("REST API")
    OPEN311 = "open311", _("Open311")
    INSPECTION = "inspection", _("inspection")
    SENSOR = "sensor", _("sensor alert")
    DEMO = "demo", _("demo data")


class Category(models.Model):
    """A kind of hazard (an Open311 "service"): names, default severity, skill and SLA targets."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    icon = models.CharField(_("icon"), max_length=8, blank=True, help_text=_("An emoji shown on the report form."))
    default_severity = models.CharField(
        _("default severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    required_skill = models.ForeignKey(
        "volunteers.Skill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hazard_categories",
        verbose_name=_("required skill"),
    )
    sla_accept_minutes = models.PositiveIntegerField(_("accept within (minutes)"), default=30)
    sla_rectify_minutes = models.PositiveIntegerField(_("rectify within (minutes)"), default=24 * 60)
    auto_dispatch = models.BooleanField(
        _("dispatch on triage"),
        default=False,
        help_text=_("When a hazard of this category is accepted at triage, offer it at once to the best candidate."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hazard category")
        verbose_name_plural = _("hazard categories")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_severity__in=Severity.values), name="category_default_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(sla_accept_minutes__gt=0) & Q(sla_rectify_minutes__gte=F("sla_accept_minutes")),
                name="category_sla_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} / {self.name_en}"

    def localized_name(self, language: str | None = None) -> str:
        return in_language(self.name, self.name_en, language)


def _peak_at_least_severity() -> Q:
    """peak_severity ranks at or above severity (one Q per severity: ranks are not orderable in SQL)."""
    condition = Q()
    for severity, rank in SEVERITY_RANK.items():
        graver = [s for s, r in SEVERITY_RANK.items() if r >= rank]
        condition |= Q(severity=severity, peak_severity__in=graver)
    return condition


class Hazard(models.Model):
    """隐患: one report of a hazard at a point, assigned to the grid containing the point."""

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("category"))
    description = models.TextField(_("description"), max_length=2000)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # The gravest severity the hazard has had (reporter, category default, keyword rule, sensor,
    # triage) since a dispatcher last set it: only a dispatcher's triage may lower it. Who may
    # verify a fix is decided on it, so a grid worker who lowers a report to "low" at triage does
    # not get to settle a fix the system had raised to critical (issue 21), while a dispatcher's
    # own judgement that a report is minor still lets the grid's worker verify it.
    peak_severity = models.CharField(_("peak severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # The reporter agreed that the responder (a volunteer) may call them; grid workers and
    # dispatchers see the phone regardless (hazards.core.policy.can_see_contact).
    contact_consent = models.BooleanField(_("responder may call"), default=False)
    # An anonymous reporter asked for SMS updates of this report's status at contact_phone
    # (govern.notify, kind report_update; no account needed).
    sms_updates = models.BooleanField(_("SMS updates to the contact phone"), default=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_hazards",
        verbose_name=_("reporter"),
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("grid"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("community")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    # The client organisation (Open311 api_key) that submitted the report; null for the web and
    # the REST API. SET_NULL: deleting a client keeps its reports.
    api_client = models.ForeignKey(
        ApiClient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hazards",
        verbose_name=_("API client"),
    )
    # What an API client sent beyond the report's own fields (Open311 contact fields, attributes,
    # a media_url reference): kept for the back office, never shown publicly.
    client_data = models.JSONField(_("client data"), default=dict, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    # The latest note meant for the public (tracking page, Open311 status_notes).
    status_note = models.CharField(_("status note"), max_length=500, blank=True)
    # default (not auto_now_add) so that imports and benchmark seeds can set past times.
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Lists: newest first, optionally narrowed by status / grid / category / community.
            models.Index(fields=["-created_at", "-id"], name="hazard_created"),
            models.Index(fields=["status", "-created_at"], name="hazard_status_created"),
            models.Index(fields=["grid", "status", "-created_at"], name="hazard_grid_status_created"),
            models.Index(fields=["community", "status", "-created_at"], name="hazard_comm_status_created"),
            models.Index(fields=["category", "status", "-created_at"], name="hazard_cat_status_created"),
            models.Index(fields=["severity", "status"], name="hazard_severity_status"),
            models.Index(fields=["reporter", "-created_at"], name="hazard_reporter_created"),
            # bbox and near: range scans on latitude, then longitude.
            models.Index(fields=["latitude", "longitude"], name="hazard_lat_lng"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="hazard_status_valid"),
            models.CheckConstraint(
                condition=Q(sms_updates=False) | (~Q(contact_phone="") & Q(reporter__isnull=True)),
                name="hazard_sms_updates_need_phone_and_no_account",
            ),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="hazard_severity_valid"),
            models.CheckConstraint(condition=_peak_at_least_severity(), name="hazard_peak_severity_at_least_severity"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="hazard_coordinates_in_range",
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.DUPLICATE) & Q(duplicate_of__isnull=False))
                | (~Q(status=Status.DUPLICATE) & Q(duplicate_of__isnull=True)),
                name="hazard_duplicate_names_original",
            ),
            models.CheckConstraint(condition=~Q(duplicate_of=F("id")), name="hazard_not_duplicate_of_itself"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="hazard_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} · {self.category_id} · {self.status}"

    def save(self, *args, **kwargs):
        if self._state.adding and not self.peak_severity:
            self.peak_severity = self.severity
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def source_client(self) -> str:
        """The submitting client organisation's name ("" when none); select_related("api_client")."""
        return self.api_client.name if self.api_client_id else ""


class PhotoStatus(models.TextChoices):
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("could not be used")


class PhotoFailure(models.TextChoices):
    """Why a photo that passed the fast checks in the request was refused by the full decode."""

    CORRUPT = "corrupt", _("truncated or corrupt image")
    TOO_LARGE = "too_large", _("over 50 megapixels")
    UNSUPPORTED = "unsupported", _("unsupported type")
    ANIMATED = "animated", _("animated images are not accepted")
    NOT_IMAGE = "not_image", _("not an image")
    OVERSIZED = "oversized", _("file too large")
    EMPTY = "empty", _("the file is empty")
    MISSING = "missing", _("the upload was lost before it could be processed")
    ERROR = "error", _("it could not be processed")


class StoredPhoto(models.Model):
    """A photo through govern.media: three re-encoded JPEG renditions and hashes.

    Abstract so that task after-photos (and any later photo) share fields and pipeline. A row is
    created `processing` with its uploaded bytes in the private quarantine storage (`original`);
    a Celery task fills the renditions and hashes (`ready`) or records why the full decode
    refused it (`failed`, `failure`), and deletes the original either way: uploaded bytes are
    never served. `upload_sha256` records what was received (chain of custody), `sha256` what is
    served, `phash` what it looks like (near-identical detection).
    """

    status = models.CharField(_("status"), max_length=12, choices=PhotoStatus.choices, default=PhotoStatus.READY)
    original = models.CharField(
        _("quarantined upload"),
        max_length=200,
        blank=True,
        help_text="name in the private quarantine storage while processing; emptied once processed",
    )
    failure = models.CharField(_("why it could not be used"), max_length=12, choices=PhotoFailure.choices, blank=True)
    image = models.ImageField(_("image"), max_length=200, blank=True)
    medium = models.ImageField(_("medium"), max_length=200, blank=True)
    thumb = models.ImageField(_("thumbnail"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(_("SHA-256 of the stored image"), max_length=64, blank=True)
    upload_sha256 = models.CharField(_("SHA-256 of the uploaded bytes"), max_length=64, blank=True)
    phash = models.CharField(_("perceptual hash"), max_length=16, blank=True)
    # phash split in four 16-bit bands, each indexed: the near-identical lookup is index-backed.
    phash_b0 = models.PositiveIntegerField(default=0)
    phash_b1 = models.PositiveIntegerField(default=0)
    phash_b2 = models.PositiveIntegerField(default=0)
    phash_b3 = models.PositiveIntegerField(default=0)
    original_format = models.CharField(_("uploaded format"), max_length=10)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def file_names(self) -> list[str]:
        return [f.name for f in (self.image, self.medium, self.thumb) if f]

    @property
    def is_ready(self) -> bool:
        return self.status == PhotoStatus.READY

    @property
    def is_processing(self) -> bool:
        return self.status == PhotoStatus.PROCESSING


def photo_constraints(prefix: str) -> list:
    """The status invariants of a StoredPhoto table: a ready photo has its files and hashes, a
    pending one its quarantined original, a failed one a reason and no files."""
    return [
        models.CheckConstraint(condition=Q(status__in=PhotoStatus.values), name=f"{prefix}_status_valid"),
        models.CheckConstraint(
            condition=~Q(status=PhotoStatus.READY)
            | (~Q(image="") & ~Q(medium="") & ~Q(thumb="") & ~Q(sha256="") & ~Q(phash="")),
            name=f"{prefix}_ready_has_files",
        ),
        models.CheckConstraint(
            condition=~Q(status=PhotoStatus.PROCESSING) | ~Q(original=""), name=f"{prefix}_processing_has_original"
        ),
        models.CheckConstraint(
            condition=~Q(status=PhotoStatus.FAILED) | (~Q(failure="") & Q(image="")), name=f"{prefix}_failed_has_reason"
        ),
    ]


class HazardPhoto(StoredPhoto):
    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = _("hazard photo")
        verbose_name_plural = _("hazard photos")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["phash_b0"], name="hazardphoto_b0"),
            models.Index(fields=["phash_b1"], name="hazardphoto_b1"),
            models.Index(fields=["phash_b2"], name="hazardphoto_b2"),
            models.Index(fields=["phash_b3"], name="hazardphoto_b3"),
            # The sweep for photos whose processing task got lost.
            models.Index(fields=["created_at"], condition=Q(status="processing"), name="hazardphoto_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "position"], name="hazard_photo_position_unique"),
            *photo_constraints("hazardphoto"),
        ]

    def __str__(self) -> str:
        return f"photo {self.position + 1} of hazard {self.hazard_id}"


class HazardEvent(models.Model):
    """One transition of a hazard's lifecycle (the timeline): who, from, to, why, when."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hazard event")
        verbose_name_plural = _("hazard events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["hazard", "created_at"], name="hazardevent_hazard_created")]

    def __str__(self) -> str:
        return f"{self.hazard_id}: {self.from_status or '∅'} → {self.to_status}"


class TriageRule(models.Model):
    """An admin-editable keyword rule: when a description contains any keyword, suggest a
    category and/or raise the severity. Explainable by construction: the rule and the matched
    keyword are stored with each suggestion."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    keywords = models.TextField(
        _("keywords"),
        help_text=_("One per line or separated by commas; Chinese and English; matched case-insensitively."),
    )
    suggest_category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("suggest category")
    )
    raise_severity = models.CharField(_("raise severity to"), max_length=10, choices=Severity.choices, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower runs first."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(suggest_category__isnull=False) | ~Q(raise_severity=""),
                name="triagerule_does_something",
            ),
            models.CheckConstraint(
                condition=Q(raise_severity="") | Q(raise_severity__in=Severity.values),
                name="triagerule_severity_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        import re

        return [k.strip() for k in re.split(r"[\n,，、;；]+", self.keywords) if k.strip()]


class SuggestionKind(models.TextChoices):
    KEYWORD = "keyword", _("keyword rule")
    SIMILAR_PHOTO = "similar_photo", _("nearly identical photo")
    NEARBY = "nearby", _("possible duplicate nearby")


class TriageSuggestion(models.Model):
    """What auto-triage proposed for a hazard, and why (shown to the dispatcher)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=16, choices=SuggestionKind.choices)
    rule = models.ForeignKey(TriageRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # A copy of the rule's name at the time: the explanation survives edits and deletion of the rule.
    rule_name = models.CharField(max_length=80, blank=True)
    matched = models.CharField(max_length=80, blank=True)
    suggested_category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    suggested_severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    similar_hazard = models.ForeignKey(Hazard, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    distance = models.FloatField(null=True, blank=True, help_text="metres (nearby) or Hamming bits (photo)")
    applied = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SuggestionKind.values), name="suggestion_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.rule_name} · {self.matched}"
