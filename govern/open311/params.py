"""Open311 parameters: from the query string and the body alike; empty values count as absent."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from govern.open311.formats import Open311Error

# This server is one jurisdiction; clients may name it by any of these ids.
JURISDICTION_IDS = ("govern", "fenhu")


class Params:
    """Merged view of request.GET and request.POST (body wins), with empty strings treated as absent."""

    def __init__(self, request):
        self._sources = [request.POST, request.GET] if request.method == "POST" else [request.GET]

    def get(self, name: str) -> str | None:
        for source in self._sources:
            value = source.get(name)
            if value is not None and value.strip() != "":
                return value.strip()
        return None

    def getlist(self, name: str) -> list[str]:
        for source in self._sources:
            values = [v.strip() for v in source.getlist(name) if v.strip()]
            if values:
                return values
        return []

    def attributes(self) -> dict[str, str | list[str]]:
        """`attribute[CODE]=v` and `attribute[CODE][]=v` (multivaluelist)."""
        found: dict[str, str | list[str]] = {}
        for source in reversed(self._sources):  # body overrides query
            for key in source:
                if not key.startswith("attribute[") or not key.endswith("]"):
                    continue
                inner = key[len("attribute[") :]
                if inner.endswith("][]"):
                    found[inner[:-3]] = [v for v in source.getlist(key) if v.strip()]
                else:
                    value = source.get(key, "").strip()
                    if value:
                        found[inner[:-1]] = value
        return found


def check_jurisdiction(params: Params) -> None:
    jurisdiction = params.get("jurisdiction_id")
    if jurisdiction is not None and jurisdiction.lower() not in JURISDICTION_IDS:
        raise Open311Error(
            404,
            _("Unknown jurisdiction_id %(id)s: this server serves %(ids)s.")
            % {"id": jurisdiction, "ids": ", ".join(JURISDICTION_IDS)},
        )


DATE_MIN = datetime(1970, 1, 1)
DATE_MAX = datetime(9000, 1, 1)


def parse_date(params: Params, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+") if "T" in raw and " " in raw else raw)
    except ValueError:
        value = None
    if value is None:
        raise Open311Error(
            400, _("%(name)s is not a W3C date-time such as 2026-11-23T10:00:00+08:00.") % {"name": name}
        )
    # Dates far out of range overflow later (end_date - the default window, the offset to UTC):
    # year 1 was a 500 on both databases (issue 21 item 12). Compared as naive dates, before any
    # arithmetic that could itself overflow.
    if not (DATE_MIN <= value.replace(tzinfo=None) < DATE_MAX):
        raise Open311Error(
            400,
            _("%(name)s must be between %(min)s and %(max)s.")
            % {"name": name, "min": DATE_MIN.date().isoformat(), "max": DATE_MAX.date().isoformat()},
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def w3c(value: datetime | None) -> str | None:
    """ISO 8601 with the local offset, e.g. 2026-11-23T10:00:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()
