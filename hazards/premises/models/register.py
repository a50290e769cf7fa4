"""The premises register: what a place is, where it is, who answers for it.

Inspections (campaigns, checklists) and sensor alerts build on these rows; every hazard they
raise is linked back through PremisesHazard, which is also the premises page's hazard history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govern.i18n import in_language
from govern.models import Grid, mainland_mobile_validator


class PremisesType(models.Model):
    """A kind of premises (restaurant, shop, workshop, enterprise); checklists attach to a type."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("premises type")
        verbose_name_plural = _("premises types")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.name} / {self.name_en}"

    def localized_name(self, language: str | None = None) -> str:
        return in_language(self.name, self.name_en, language)


class Premises(models.Model):
    """One registered place: type, address and street, position and grid, contact, responsible person."""

    # The registration number (统一社会信用代码, a licence number, or a local register code): the
    # key a CSV import updates by, so re-importing a register never makes duplicates.
    code = models.CharField(_("register code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    type = models.ForeignKey(PremisesType, on_delete=models.PROTECT, related_name="premises", verbose_name=_("type"))
    address = models.CharField(_("address"), max_length=200)
    # Campaigns select premises by street, so it is its own field rather than part of the address.
    street = models.CharField(_("street"), max_length=80, blank=True, db_index=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="premises", verbose_name=_("grid"))
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    responsible_name = models.CharField(_("responsible person"), max_length=60)
    responsible_phone = models.CharField(
        _("responsible person's mobile"), max_length=11, blank=True, validators=[mainland_mobile_validator]
    )
    # The responsible person's (safety officer's) account, when they have one: they follow their
    # premises' hazards and sensor alerts live.
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_for_premises",
        verbose_name=_("responsible person's account"),
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")
        ordering = ["grid_id", "street", "name", "id"]
        indexes = [
            models.Index(fields=["grid", "type", "street"], name="premises_grid_type_street"),
            models.Index(fields=["type", "street"], name="premises_type_street"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="premises_coordinates_in_range",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="premises_code_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class HazardOrigin(models.TextChoices):
    INSPECTION = "inspection", _("inspection finding")
    SENSOR = "sensor", _("sensor alert")
    REPORT = "report", _("report about the premises")


class PremisesHazard(models.Model):
    """A hazard found at a premises: the premises page's hazard history, whatever raised it."""

    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="hazard_links", verbose_name=_("premises")
    )
    hazard = models.OneToOneField(
        "hazards.Hazard", on_delete=models.CASCADE, related_name="premises_link", verbose_name=_("hazard")
    )
    origin = models.CharField(_("origin"), max_length=12, choices=HazardOrigin.choices)
    created_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("premises hazard")
        verbose_name_plural = _("premises hazards")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["premises", "-created_at"], name="premises_hazard_history")]
        constraints = [
            models.CheckConstraint(condition=Q(origin__in=HazardOrigin.values), name="premises_hazard_origin_valid")
        ]

    def __str__(self) -> str:
        return f"{self.premises_id} → {self.hazard_id} ({self.origin})"
