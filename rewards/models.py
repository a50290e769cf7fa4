"""Points ledger, earning rules, merchants, coupons and redemptions.

Points are money-like: every invariant that can be a database constraint is one, because the
services lock rows (select_for_update) but SQLite ignores row locks, and because a constraint
still holds when someone writes around the services.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PointsAccount(models.Model):
    """积分账户: one per user. `balance` is a cache of the sum of the entries, kept in step under
    a row lock by rewards.ledger and never negative (a constraint)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_account", verbose_name=_("user")
    )
    balance = models.IntegerField(_("balance"), default=0)
    show_on_leaderboard = models.BooleanField(
        _("show my name on the leaderboard"),
        default=False,
        help_text=_("Off by default: the leaderboard shows an anonymous label unless the user opts in."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="points_account_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.user} · {self.balance}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("earned")
    ADJUST = "adjust", _("adjustment")
    REDEEM = "redeem", _("redeemed")
    REFUND = "refund", _("refund")
    REVERSAL = "reversal", _("reversal")


class PointsEntry(models.Model):
    """One line of the append-only ledger. Never updated or deleted: a database trigger refuses
    UPDATE (and DELETE on PostgreSQL); corrections are new `reversal` entries.

    The source is a reference, not a foreign key ("hazards.task", "42"), so rewards knows
    nothing of the apps that pay points.
    """

    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.IntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    reason = models.CharField(_("reason"), max_length=200)
    source_type = models.CharField(_("source type"), max_length=40, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    rule = models.ForeignKey(
        "EarningRule", on_delete=models.PROTECT, null=True, blank=True, related_name="entries", verbose_name=_("rule")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_entries_made",
        verbose_name=_("by"),
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )
    balance_after = models.IntegerField(_("balance after"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="points_entry_account_recent"),
            models.Index(fields=["account", "kind", "created_at"], name="points_entry_account_kind_day"),
            models.Index(fields=["kind", "created_at"], name="points_entry_kind_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_amount_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="points_entry_balance_after_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="points_entry_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.reason}"


class EarningRule(models.Model):
    """How many points a kind of verified help pays. Admin-editable; `code` is what callers name.

    `severity_factors` multiplies `points` by the severity of the source, e.g.
    {"low": 1, "medium": 1.5, "high": 2, "critical": 3}; empty means no factor.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    points = models.PositiveIntegerField(_("points"))
    per_minutes = models.PositiveIntegerField(
        _("per minutes"),
        null=True,
        blank=True,
        help_text=_(
            "For rules that pay for time (approved service minutes): the points are paid once per this many "
            "whole minutes. Empty: the points are paid once per source."
        ),
    )
    severity_factors = models.JSONField(_("severity factors"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="earning_rule_points_positive"),
            models.CheckConstraint(
                condition=Q(per_minutes__isnull=True) | Q(per_minutes__gt=0), name="earning_rule_per_minutes_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PointsAward(models.Model):
    """The outcome of one award of a rule for one source to one user, kept even when the daily cap
    left nothing to pay, so a retry tomorrow cannot pay what today refused."""

    rule = models.ForeignKey(EarningRule, on_delete=models.PROTECT, related_name="awards", verbose_name=_("rule"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_awards", verbose_name=_("user")
    )
    source_type = models.CharField(_("source type"), max_length=40)
    source_id = models.CharField(_("source id"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_awards_made",
        verbose_name=_("verified by"),
    )
    severity = models.CharField(_("severity"), max_length=16, blank=True)
    points_due = models.PositiveIntegerField(_("points due"))
    points_paid = models.PositiveIntegerField(_("points paid"))
    entry = models.OneToOneField(
        PointsEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="award", verbose_name=_("entry")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("points award")
        verbose_name_plural = _("points awards")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "source_type", "source_id", "user"], name="points_award_once_per_source"
            ),
            models.CheckConstraint(condition=Q(points_paid__lte=F("points_due")), name="points_award_paid_within_due"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.source_type}:{self.source_id} → {self.points_paid}/{self.points_due}"

    @property
    def capped(self) -> bool:
        return self.points_paid < self.points_due


class Merchant(models.Model):
    """商户: a local business that honours coupons; its staff may mark codes as used."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="merchants", blank=True, verbose_name=_("staff")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CouponKind(models.TextChoices):
    DISCOUNT = "discount", _("discount")
    GOODS = "goods", _("goods")


class Audience(models.TextChoices):
    """Who may redeem a coupon (志愿者专享 and the like). Every audience but `everyone` needs an
    approved volunteer profile; the checks are rewards.audience.audience_refusal."""

    EVERYONE = "everyone", _("everyone")
    VOLUNTEERS = "volunteers", _("approved volunteers")
    TEAMS = "teams", _("members of given teams")
    COMMUNITY = "community", _("volunteers of one community")
    MIN_HOURS = "min_hours", _("volunteers with enough approved hours")


class Coupon(models.Model):
    """An offer in the shop. `valid_from`..`valid_until` is when it can be redeemed; an issued code
    stays usable for `code_valid_for` from the moment it is issued.

    Stock: `stock_total - stock_remaining` is the number of codes that are issued or used; an
    expired or cancelled code gives its unit back.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("merchant"))
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CouponKind.choices, default=CouponKind.DISCOUNT)
    image = models.ImageField(_("image"), upload_to="coupons/%Y/%m/", blank=True)
    cost = models.PositiveIntegerField(_("cost in points"))
    stock_total = models.PositiveIntegerField(_("total stock"))
    stock_remaining = models.PositiveIntegerField(_("remaining stock"))
    per_user_limit = models.PositiveIntegerField(
        _("limit per user"), default=1, help_text=_("Codes one user may hold at once or have used (issued + used).")
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    code_valid_for = models.DurationField(_("code valid for"), default=timedelta(days=7))
    active = models.BooleanField(_("active"), default=True)
    audience = models.CharField(_("who may redeem"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    audience_teams = models.ManyToManyField(
        "volunteers.Team", blank=True, related_name="coupons", verbose_name=_("teams that may redeem")
    )
    audience_community = models.ForeignKey(
        "govern.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupons",
        verbose_name=_("community that may redeem"),
    )
    audience_min_hours = models.PositiveIntegerField(_("minimum approved hours"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["cost", "id"]
        indexes = [models.Index(fields=["active", "valid_until"], name="coupon_active_until")]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gt=0), name="coupon_cost_positive"),
            models.CheckConstraint(
                condition=Q(stock_remaining__gte=0) & Q(stock_remaining__lte=F("stock_total")),
                name="coupon_stock_within_total",
            ),
            models.CheckConstraint(condition=Q(per_user_limit__gte=1), name="coupon_per_user_limit_positive"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="coupon_window_ordered"),
            models.CheckConstraint(condition=Q(code_valid_for__gt=timedelta(0)), name="coupon_code_valid_for_positive"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="coupon_audience_valid"),
            models.CheckConstraint(
                condition=~Q(audience=Audience.COMMUNITY) | Q(audience_community__isnull=False),
                name="coupon_audience_community_named",
            ),
            models.CheckConstraint(
                condition=~Q(audience=Audience.MIN_HOURS) | Q(audience_min_hours__gt=0),
                name="coupon_audience_min_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant.name if self.merchant_id else ''} · {self.title}"


class RedemptionStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    USED = "used", _("used")
    EXPIRED = "expired", pgettext_lazy("coupon code status", "expired")
    CANCELLED = "cancelled", pgettext_lazy("coupon code status", "cancelled")


# Statuses that hold a unit of stock and count towards the per-user limit.
HOLDING_STATUSES = (RedemptionStatus.ISSUED, RedemptionStatus.USED)


class Redemption(models.Model):
    """兑换: one issued code for one coupon. issued → used | expired | cancelled."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("user")
    )
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("coupon"))
    code = models.CharField(_("code"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RedemptionStatus.choices, default=RedemptionStatus.ISSUED
    )
    cost = models.PositiveIntegerField(_("points paid"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    # The owner was told the code expires soon (once: a guarded update claims it).
    expiry_warned_at = models.DateTimeField(_("reminded before expiry"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions_checked",
        verbose_name=_("checked by"),
    )
    ended_at = models.DateTimeField(_("expired or cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions_cancelled",
        verbose_name=_("cancelled by"),
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="redemption_user_recent"),
            models.Index(fields=["coupon", "user", "status"], name="redemption_coupon_user_status"),
            models.Index(fields=["status", "expires_at"], name="redemption_status_expires"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="redemption_idempotency_key_per_user"),
            models.CheckConstraint(condition=Q(status__in=RedemptionStatus.values), name="redemption_status_valid"),
            models.CheckConstraint(condition=Q(cost__gt=0), name="redemption_cost_positive"),
            models.CheckConstraint(
                condition=~Q(status=RedemptionStatus.USED) | Q(used_at__isnull=False), name="redemption_used_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[RedemptionStatus.EXPIRED, RedemptionStatus.CANCELLED])
                | Q(ended_at__isnull=False),
                name="redemption_ended_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_code} ({self.status})"

    @property
    def display_code(self) -> str:
        """ABCD-EFGH-JKMN: easier to read aloud; input accepts it with or without dashes."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def is_overdue(self) -> bool:
        """Issued but past its expiry: the next expiry run refunds it."""
        return self.status == RedemptionStatus.ISSUED and self.expires_at <= timezone.now()


class PointsClawback(models.Model):
    """追回: an award taken back because what it paid for was undone (a verified hazard reopened).

    One per award (a constraint), so a repeated reopen or a retried job takes back once. The
    balance never goes below 0: what was already spent stays spent, and the difference is the
    `shortfall`, flagged for a dispatcher until one marks it resolved.
    """

    award = models.OneToOneField(
        PointsAward, on_delete=models.PROTECT, related_name="clawback", verbose_name=_("award")
    )
    entry = models.OneToOneField(
        PointsEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clawback",
        verbose_name=_("reversal entry"),
    )
    points_paid = models.PositiveIntegerField(_("points paid"))
    points_taken = models.PositiveIntegerField(_("points taken back"))
    shortfall = models.PositiveIntegerField(_("shortfall"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clawbacks_resolved",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("points claw-back")
        verbose_name_plural = _("points claw-backs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["shortfall", "resolved_at"], name="clawback_open_shortfall")]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_taken__lte=F("points_paid")) & Q(shortfall=F("points_paid") - F("points_taken")),
                name="clawback_taken_plus_shortfall_is_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.award_id}: -{self.points_taken} (short {self.shortfall})"
