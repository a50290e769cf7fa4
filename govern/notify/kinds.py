"""What is notified: each kind, the live events it comes from, who hears of it, its defaults, and
the words people read (rendered when it is sent, in the site's language).

The live event's payload (docs/events.md §10) is the contract read here; the kernel imports no
app. A kind's `channels` are its defaults; a person's preferences choose among `allowed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # lazy text
    channels: tuple[str, ...]  # defaults (inbox is always on)
    allowed: tuple[str, ...] = ("inbox", "push", "email", "sms")


@dataclass(frozen=True)
class Intent:
    """Who hears of an event, as what."""

    kind: str
    user_ids: tuple[int, ...]
    severity: str = "medium"
    ref: str = ""
    data: dict = field(default_factory=dict)
    # Extra user ids resolved from a role (the duty room) rather than a topic.
    dispatchers: bool = False


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("offer_received", gettext_lazy("A task is offered to you"), ("inbox", "push", "sms")),
        Kind("offer_expiring", gettext_lazy("An offer to you expires soon"), ("inbox", "push")),
        Kind("task_overdue", gettext_lazy("Your task is overdue"), ("inbox", "push")),
        Kind("task_returned", gettext_lazy("A task came back to you"), ("inbox", "push")),
        Kind("report_update", gettext_lazy("News about your report"), ("inbox", "push", "email")),
        Kind("volunteer_decided", gettext_lazy("Your volunteer application was decided"), ("inbox", "push", "email")),
        Kind("sensor_alert", gettext_lazy("A sensor alert"), ("inbox", "push", "sms")),
        Kind("coupon_expiring", gettext_lazy("A coupon code of yours expires soon"), ("inbox", "push")),
        Kind("dispatcher_notice", pgettext_lazy("notification kind", "A notice from the duty room"), ("inbox", "push")),
    )
}

# The report statuses a reporter is told about.
REPORT_STATUSES = ("triaged", "dispatched", "rectified", "verified", "rejected")


def _user_ids(topics) -> tuple[int, ...]:
    return tuple(int(t.split(":", 1)[1]) for t in topics if t.startswith("user:"))


def _severity(value, default="medium") -> str:
    return value if value in SEVERITIES else default


def _offer(data, topics):
    hazard = data.get("hazard") or {}
    return [Intent("offer_received", _user_ids(topics), _severity(hazard.get("severity")), f"task:{data.get('id')}")]


def _expiring(data, topics):
    hazard = data.get("hazard") or {}
    return [Intent("offer_expiring", _user_ids(topics), _severity(hazard.get("severity")), f"task:{data.get('id')}")]


def _coupon_expiring(data, topics):
    return [Intent("coupon_expiring", _user_ids(topics), "low", f"redemption:{data.get('id')}")]


def _overdue(data, topics):
    hazard = data.get("hazard") or {}
    return [Intent("task_overdue", _user_ids(topics), _severity(hazard.get("severity")), f"task:{data.get('id')}")]


def _task_updated(data, topics):
    # "Returned": a finished task sent back (the verifier refused the fix) — status back to accepted
    # or in progress with a reason.
    if data.get("status") in ("accepted", "in_progress") and data.get("reason") and data.get("returned"):
        hazard = data.get("hazard") or {}
        return [Intent("task_returned", _user_ids(topics), _severity(hazard.get("severity")), f"task:{data.get('id')}")]
    return []


def _hazard_status(data, topics):
    if data.get("to") not in REPORT_STATUSES or data.get("from") == data.get("to"):
        return []
    return [Intent("report_update", _user_ids(topics), "medium", f"hazard:{data.get('tracking_code')}")]


def _volunteer_status(data, topics):
    if data.get("status") not in ("approved", "rejected"):
        return []
    return [Intent("volunteer_decided", _user_ids(topics), "medium", f"volunteer:{data.get('id')}")]


def _sensor_alert(data, topics):
    # Raised, or escalated: an update that reached the duty room (the severity went up); a sensor
    # repeating itself inside an open alert is not news.
    escalated = data.get("kind") == "update" and "dispatch" in topics
    if data.get("kind") != "raise" and not escalated:
        return []
    return [
        Intent(
            "sensor_alert",
            _user_ids(topics),
            _severity(data.get("severity"), "high"),
            f"alert:{data.get('sensor')}",
            dispatchers="dispatch" in topics,
        )
    ]


def _notice(data, topics):
    severity = {"info": "low", "warning": "medium", "critical": "critical"}.get(data.get("level"), "low")
    return [Intent("dispatcher_notice", _user_ids(topics), severity, "", dispatchers="dispatch" in topics)]


RULES: dict[str, Callable[[dict, list[str]], list[Intent]]] = {
    "task.offered": _offer,
    "task.expiring": _expiring,
    "task.overdue": _overdue,
    "redemption.expiring": _coupon_expiring,
    "task.updated": _task_updated,
    "hazard.status_changed": _hazard_status,
    "volunteer.status_changed": _volunteer_status,
    "sensor.alert": _sensor_alert,
    "system.notice": _notice,
}


def text(kind: str, data: dict) -> tuple[str, str, str]:
    """(title, body, url) of a notification, in the active language."""
    hazard = data.get("hazard") or {}
    category = hazard.get("category_name") or ""
    if kind == "offer_received":
        if hazard.get("address"):
            body = _("%(category)s at %(address)s. Accept it before the deadline.") % {
                "category": category,
                "address": hazard["address"],
            }
        else:
            body = _("%(category)s. Accept it before the deadline.") % {"category": category}
        return _("A task is offered to you"), body, f"/tasks/?task={data.get('id')}"
    if kind == "offer_expiring":
        minutes = max(1, round((data.get("expires_in_s") or 0) / 60))
        body = _("%(category)s: accept it within %(minutes)s min or it goes to someone else.") % {
            "category": category,
            "minutes": minutes,
        }
        return _("An offer to you expires soon"), body, f"/tasks/?task={data.get('id')}"
    if kind == "coupon_expiring":
        body = _("%(coupon)s: code %(code)s, use it before it expires.") % {
            "coupon": data.get("coupon_title") or "",
            "code": data.get("code") or "",
        }
        return _("A coupon code of yours expires soon"), body, "/wallet/"
    if kind == "task_overdue":
        return _("Your task is overdue"), category, f"/tasks/?task={data.get('id')}"
    if kind == "task_returned":
        return _("A task came back to you"), data.get("reason") or "", f"/tasks/?task={data.get('id')}"
    if kind == "report_update":
        code = data.get("tracking_code") or ""
        titles = {
            "triaged": _("Your report was accepted"),
            "dispatched": _("Someone is on the way to your report"),
            "rectified": _("Your report was fixed: see the after-photo"),
            "verified": _("The fix of your report was verified"),
            "rejected": _("Your report was not accepted"),
        }
        return titles.get(data.get("to"), _("News about your report")), data.get("note") or "", f"/track/{code}/"
    if kind == "volunteer_decided":
        if data.get("status") == "approved":
            return _("You are now a volunteer"), "", "/volunteers/me/"
        return _("Your volunteer application was not accepted"), data.get("reason") or "", "/volunteers/"
    if kind == "sensor_alert":
        body = _("%(premises)s · %(label)s: %(value)s %(unit)s") % {
            "premises": data.get("premises_name") or "",
            "label": data.get("label") or "",
            "value": data.get("value"),
            "unit": data.get("unit") or "",
        }
        return _("A sensor alert"), body, "/sensors/"
    if kind == "dispatcher_notice":
        return _("A notice from the duty room"), data.get("text") or "", "/me/notifications/"
    return str(KINDS[kind].label) if kind in KINDS else kind, "", "/me/notifications/"
