"""Sentences about points that pages and the API show the same way (gettext)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def rule_sentence(rule) -> str:
    """ "5 points per 30 minutes" or "10 points": how much an earning rule pays."""
    if rule.per_minutes:
        return _("%(points)d points per %(minutes)d minutes") % {"points": rule.points, "minutes": rule.per_minutes}
    return _("%(points)d points") % {"points": rule.points}
