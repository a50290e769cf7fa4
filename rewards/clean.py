"""Input checks of the rewards app: each returns the cleaned value or raises InvalidInput naming
the field (or header), so every entry point (API, pages, admin, tasks) refuses alike."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from rewards import conf
from rewards.models import Audience, CouponKind, EarningRule

IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")
IDEMPOTENCY_HEADER = "Idempotency-Key"

# What coupon_update may change besides the stock and the image.
COUPON_FIELDS = (
    "title",
    "description",
    "kind",
    "cost",
    "per_user_limit",
    "valid_from",
    "valid_until",
    "code_valid_for",
    "active",
    "audience",
    "audience_community_id",
    "audience_min_hours",
)


def _bad_key() -> InvalidInput:
    return InvalidInput(_("Idempotency-Key must be 1 to 100 letters, digits or _.:-"), field=IDEMPOTENCY_HEADER)


def clean_idempotency_key(raw: str | None) -> str:
    """The Idempotency-Key header value, or a 400 naming the header."""
    if raw is None or not str(raw).strip():
        raise InvalidInput(
            _("The Idempotency-Key header is required: send a new random key for each redemption."),
            field=IDEMPOTENCY_HEADER,
        )
    key = str(raw).strip()
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise _bad_key()
    return key


def clean_optional_idempotency_key(raw: str | None) -> str | None:
    """An optional Idempotency-Key (adjustments): None, or a well-formed key."""
    if raw is not None and not IDEMPOTENCY_KEY_PATTERN.match(raw):
        raise _bad_key()
    return raw


def clean_reason(reason: str) -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput(_("A reason is required."), field="reason")
    if len(reason) > 200:
        raise InvalidInput(_("The reason is too long (at most 200 characters)."), field="reason")
    return reason


def clean_adjust_amount(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(_("amount must be a whole number."), field="amount")
    if amount == 0:
        raise InvalidInput(_("amount must not be zero."), field="amount")
    if abs(amount) > conf.adjust_max():
        raise InvalidInput(
            _("amount must be between -%(max)d and %(max)d.") % {"max": conf.adjust_max()}, field="amount"
        )
    return amount


def clean_source(source_type, source_id) -> tuple[str, str]:
    """What an award is for: a type (1–40 characters) and an id (1–64)."""
    source_type, source_id = str(source_type or "").strip(), str(source_id or "").strip()
    if not source_type or len(source_type) > 40:
        raise InvalidInput(_("source_type must be 1 to 40 characters."), field="source_type")
    if not source_id or len(source_id) > 64:
        raise InvalidInput(_("source_id must be 1 to 64 characters."), field="source_id")
    return source_type, source_id


def clean_minutes(minutes) -> int:
    """Minutes of service for a rule paid per time: a whole number, 0 or more."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise InvalidInput(_("Minutes must be a whole number, 0 or more."), field="minutes")
    return minutes


def severity_factor(rule: EarningRule, severity: str | None) -> Decimal:
    """The rule's multiplier for a hazard of this severity (1 when the rule has none)."""
    factors = rule.severity_factors or {}
    if not severity or not factors:
        return Decimal(1)
    if severity not in factors:
        raise InvalidInput(
            _("Unknown severity %(severity)s for rule %(rule)s.") % {"severity": severity, "rule": rule.code},
            field="severity",
        )
    try:
        factor = Decimal(str(factors[severity]))
    except InvalidOperation:
        raise InvalidInput(_("Rule %(rule)s has a bad severity factor.") % {"rule": rule.code}, field="severity")
    if factor <= 0:
        raise InvalidInput(_("Rule %(rule)s has a bad severity factor.") % {"rule": rule.code}, field="severity")
    return factor


def check_coupon_fields(fields: dict) -> None:
    if "title" in fields and not str(fields["title"] or "").strip():
        raise InvalidInput(_("A title is required."), field="title")
    if "kind" in fields and fields["kind"] not in CouponKind.values:
        raise InvalidInput(_("kind must be discount or goods."), field="kind")
    if "cost" in fields and (fields["cost"] is None or int(fields["cost"]) <= 0):
        raise InvalidInput(_("The cost must be more than 0 points."), field="cost")
    if "per_user_limit" in fields and (fields["per_user_limit"] is None or int(fields["per_user_limit"]) < 1):
        raise InvalidInput(_("The limit per user must be at least 1."), field="per_user_limit")
    if "code_valid_for" in fields and (fields["code_valid_for"] is None or fields["code_valid_for"] <= timedelta(0)):
        raise InvalidInput(_("Codes must stay valid for some time."), field="code_valid_for")


def check_audience(*, audience: str, community_id, min_hours, team_ids) -> None:
    """The audience and what it names agree: a community for `community`, a positive number of
    hours for `min_hours`, at least one team for `teams` (their existence is the caller's check)."""
    if audience not in Audience.values:
        raise InvalidInput(
            _("audience must be one of: %(values)s.") % {"values": ", ".join(Audience.values)}, field="audience"
        )
    if audience == Audience.COMMUNITY and not community_id:
        raise InvalidInput(_("Choose the community whose volunteers may redeem."), field="audience_community")
    if audience == Audience.MIN_HOURS and (
        isinstance(min_hours, bool) or not isinstance(min_hours, int) or min_hours <= 0
    ):
        raise InvalidInput(_("Enter the minimum approved hours (a whole number above 0)."), field="audience_min_hours")
    if audience == Audience.TEAMS and not team_ids:
        raise InvalidInput(_("Choose at least one team whose members may redeem."), field="audience_teams")


def check_window(valid_from: datetime, valid_until: datetime) -> None:
    if valid_until <= valid_from:
        raise InvalidInput(_("valid_until must be after valid_from."), field="valid_until")
