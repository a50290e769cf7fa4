"""Input of inspection campaigns: each check returns the cleaned value or raises InvalidInput
naming the field, for the API, the pages and the admin alike."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from govern.errors import InvalidInput

NAME_MAX = 120
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
SELECTION_MAX = 200  # grids, streets or types named in one selection
PK_MAX = 2**63 - 1


def clean_text(value, *, field: str, limit: int, required: bool = False, message: str | None = None) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise InvalidInput(message or _("This field is required."), field=field)
    if len(value) > limit:
        raise InvalidInput(_("Too long: at most %(max)d characters.") % {"max": limit}, field=field)
    return value


def clean_date(value, *, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), field=field) from None


def clean_pk(value, *, field: str, message: str | None = None) -> int:
    """A primary key from user input (1 .. 2^63-1), or a 400 naming the field."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    if not 1 <= pk <= PK_MAX:
        raise InvalidInput(message or _("Give ids as whole numbers."), field=field)
    return pk


def clean_ids(values, *, field: str) -> list[int]:
    if isinstance(values, str | int):
        values = [values]
    values = list(values or [])
    if len(values) > SELECTION_MAX:
        raise InvalidInput(_("At most %(max)d values.") % {"max": SELECTION_MAX}, field=field)
    return sorted({clean_pk(v, field=field) for v in values})
