"""Who filed a report, as a page or an API call can tell: the signed-in reporter, or the browser
that filed it anonymously (its session remembers the hazard ids it filed).

The tracking code stays the public capability to *read* a report (hazards.reports.tracking);
answering for the reporter (the fix feedback) needs more than the code, which may be shared or
printed: the reporter's account, or the very browser session that filed the report.
"""

from __future__ import annotations

FILED_SESSION_KEY = "hazards_filed"
FILED_KEEP = 50  # the newest reports a browser session remembers


def remember_filed(request, hazard_id: int) -> None:
    """Record in the session that this browser filed the report (anonymous reports only)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return  # the report carries the reporter
    session = getattr(request, "session", None)
    if session is None:
        return
    filed = [i for i in session.get(FILED_SESSION_KEY, []) if i != hazard_id]
    session[FILED_SESSION_KEY] = (filed + [hazard_id])[-FILED_KEEP:]


def filed_ids(request) -> frozenset[int]:
    """The hazards this browser session filed anonymously."""
    session = getattr(request, "session", None)
    if session is None:
        return frozenset()
    return frozenset(i for i in session.get(FILED_SESSION_KEY, []) if isinstance(i, int))


def is_reporter(*, actor, filed: frozenset[int] | set[int] | tuple, hazard) -> bool:
    """The signed-in reporter, or (for an anonymous report) the browser session that filed it."""
    if actor is not None and getattr(actor, "is_authenticated", False) and hazard.reporter_id == actor.pk:
        return True
    return hazard.reporter_id is None and hazard.pk in filed
