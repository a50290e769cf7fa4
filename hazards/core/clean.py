"""Cleaners of what people type into hazards: notes, free text, severities. Each returns the
cleaned value or raises InvalidInput naming the field."""

from __future__ import annotations

from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from hazards.models import Severity

DESCRIPTION_MAX = 2000  # a report's description
NOTE_MAX = 500  # a timeline note, a task's note, reason or instructions


def clean_note(note) -> str:
    """A timeline note (optional; the reporter may read it on the tracking page)."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(_("The note is too long: at most %(max)d characters.") % {"max": NOTE_MAX}, field="note")
    return note


def clean_text(value, *, field: str, required: bool = False, message: str | None = None) -> str:
    """Free text of at most NOTE_MAX characters; `message` says what is missing when it is required."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(message or _("This field is required."), field=field)
    if len(value) > NOTE_MAX:
        raise InvalidInput(_("The text is too long: at most %(max)d characters.") % {"max": NOTE_MAX}, field=field)
    return value


def clean_severity(severity, *, required: bool = False) -> str | None:
    """One of the severities; None when it is optional and not given."""
    if severity in (None, "") and not required:
        return None
    if severity not in Severity.values:
        raise InvalidInput(_("Severity must be one of: low, medium, high, critical."), field="severity")
    return severity
