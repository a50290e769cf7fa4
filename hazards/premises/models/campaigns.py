"""Checklists, campaigns, assignments, inspections and their results (app label `premises`).

Invariants are database constraints: one active checklist per premises type, one row per
premises in a campaign, one inspection per campaign premises, one result per (inspection, item),
a started or done premises has an inspector, progress counters stay within 0..total, only a
failed result carries a hazard, and a submitted failed result always has one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govern.i18n import in_language
from hazards.models import Severity

__all__ = [
    "Campaign",
    "CampaignPremises",
    "CampaignStatus",
    "Checklist",
    "ChecklistItem",
    "Inspection",
    "InspectionResult",
    "Outcome",
    "VisitStatus",
]


class Checklist(models.Model):
    """What an inspector checks at one type of premises (admin-editable, items inline)."""

    premises_type = models.ForeignKey(
        "premises.PremisesType", on_delete=models.PROTECT, related_name="checklists", verbose_name=_("premises type")
    )
    name = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("New inspections use the one active checklist of the premises' type.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["premises_type__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["premises_type"], condition=Q(active=True), name="checklist_one_active_per_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} / {self.name_en}"

    def localized_name(self, language: str | None = None) -> str:
        return in_language(self.name, self.name_en, language)


class ChecklistItem(models.Model):
    """One thing to check; a failure raises a hazard of `category` with `severity`."""

    checklist = models.ForeignKey(
        Checklist, on_delete=models.CASCADE, related_name="items", verbose_name=_("checklist")
    )
    text = models.CharField(_("text (Chinese)"), max_length=200)
    text_en = models.CharField(_("text (English)"), max_length=200)
    category = models.ForeignKey(
        "hazards.Category",
        on_delete=models.PROTECT,
        related_name="checklist_items",
        verbose_name=_("hazard category"),
        help_text=_("The category of the hazard a failed check raises."),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    photo_required = models.BooleanField(_("photo required on fail"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["checklist_id", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="checklist_item_severity_valid"),
        ]

    def __str__(self) -> str:
        return self.text

    def localized_text(self, language: str | None = None) -> str:
        return in_language(self.text, self.text_en, language)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign status", "draft")
    ACTIVE = "active", pgettext_lazy("campaign status", "active")
    CLOSED = "closed", pgettext_lazy("campaign status", "closed")


class Campaign(models.Model):
    """An inspection campaign: a selection of premises, their inspectors, and live progress."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    # How the premises were chosen ({"grids": [ids], "streets": [...], "types": [slugs]}), for the record.
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="campaigns_created",
        verbose_name=_("created by"),
    )
    # Progress, kept by the services with F() next to each change.
    premises_total = models.PositiveIntegerField(_("premises"), default=0)
    premises_assigned = models.PositiveIntegerField(_("assigned"), default=0)
    premises_started = models.PositiveIntegerField(_("in progress"), default=0)
    premises_done = models.PositiveIntegerField(_("done"), default=0)
    findings = models.PositiveIntegerField(_("findings"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="campaign_status_created")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="campaign_period_ordered"),
            models.CheckConstraint(
                condition=Q(premises_assigned__lte=F("premises_total"))
                & Q(premises_started__lte=F("premises_total"))
                & Q(premises_done__lte=F("premises_total")),
                name="campaign_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def done_percent(self) -> int:
        return round(100 * self.premises_done / self.premises_total) if self.premises_total else 0


class VisitStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("inspection status", "pending")
    IN_PROGRESS = "in_progress", pgettext_lazy("inspection status", "in progress")
    DONE = "done", pgettext_lazy("inspection status", "done")


class CampaignPremises(models.Model):
    """One premises in a campaign and who inspects it (the assignment)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries", verbose_name=_("campaign"))
    premises = models.ForeignKey(
        "premises.Premises", on_delete=models.PROTECT, related_name="campaign_entries", verbose_name=_("premises")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_assignments",
        verbose_name=_("inspector"),
    )
    status = models.CharField(_("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.PENDING)
    findings = models.PositiveSmallIntegerField(_("findings"), default=0)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # The last time the office took it back from an inspector (campaign_unassign), by whom and
    # why: kept through a later assignment, so the office can see what happened to it.
    taken_back_at = models.DateTimeField(_("taken back at"), null=True, blank=True)
    taken_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken back by"),
    )
    taken_back_reason = models.CharField(_("reason for taking it back"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("campaign premises")
        verbose_name_plural = _("campaign premises")
        ordering = ["campaign_id", "id"]
        indexes = [
            models.Index(fields=["inspector", "status"], name="campaign_premises_inspector"),
            models.Index(fields=["campaign", "status"], name="campaign_premises_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "premises"], name="campaign_premises_unique"),
            models.CheckConstraint(condition=Q(status__in=VisitStatus.values), name="campaign_premises_status_valid"),
            models.CheckConstraint(
                condition=Q(status=VisitStatus.PENDING) | Q(inspector__isnull=False),
                name="campaign_premises_started_has_inspector",
            ),
            models.CheckConstraint(
                condition=(Q(status=VisitStatus.DONE) & Q(done_at__isnull=False))
                | (~Q(status=VisitStatus.DONE) & Q(done_at__isnull=True) & Q(findings=0)),
                name="campaign_premises_done_at_iff_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.premises_id} ({self.status})"


class Inspection(models.Model):
    """One inspector's visit to one campaign premises (exactly one per campaign premises)."""

    entry = models.OneToOneField(
        CampaignPremises, on_delete=models.CASCADE, related_name="inspection", verbose_name=_("campaign premises")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("inspector")
    )
    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("checklist")
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(submitted_at__gte=F("started_at")),
                name="inspection_submitted_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"inspection {self.pk} of {self.entry_id}"


class Outcome(models.TextChoices):
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    NA = "na", _("not applicable")


class InspectionResult(models.Model):
    """The outcome of one checklist item in one inspection; a failure's hazard once submitted."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="results", verbose_name=_("inspection")
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="results", verbose_name=_("checklist item")
    )
    outcome = models.CharField(_("outcome"), max_length=4, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The processed photo (govern.media pipeline: re-encoded, metadata stripped); its large and
    # thumbnail renditions. The hazard gets its own copy at submit.
    photo = models.FileField(_("photo"), max_length=200, blank=True)
    photo_thumb = models.FileField(_("photo thumbnail"), max_length=200, blank=True)
    hazard = models.OneToOneField(
        "hazards.Hazard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_result",
        verbose_name=_("hazard"),
    )
    submitted = models.BooleanField(_("submitted"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        ordering = ["inspection_id", "item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_result_one_per_item"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="inspection_result_outcome_valid"),
            models.CheckConstraint(
                condition=Q(hazard__isnull=True) | Q(outcome=Outcome.FAIL), name="inspection_result_hazard_only_on_fail"
            ),
            models.CheckConstraint(
                condition=Q(submitted=False) | ~Q(outcome=Outcome.FAIL) | Q(hazard__isnull=False),
                name="inspection_result_failed_has_hazard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.item_id}: {self.outcome}"
