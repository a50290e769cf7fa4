"""Where each person's work is: the entries of the home page and the top-bar menu, by role.

One list serves both, so the menu never offers what the home page does not and the other way
round. A person may hold several roles: each role brings its own section, work roles first, and
an entry already offered by an earlier section is not repeated. Enterprise safety officers are not
a group: anyone named the responsible person of a premises is one (one query, only when a page
draws the menu). Nothing links into /admin/ unless the person may use it (staff).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govern.roles import DISPATCHER, GRID_WORKER, MERCHANT_STAFF, RESIDENT, VOLUNTEER, user_roles

# The grid worker's queue of their grids' reports (hazards' grid pages); linked for grid workers only.
GRID_QUEUE_PATH = "/grid/"


@dataclass(frozen=True)
class Entry:
    key: str
    url: str
    label: str
    icon: str
    hint: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    entries: tuple[Entry, ...]


def _entry(key: str, url_name: str, label, icon: str, hint="") -> Entry:
    url = url_name if url_name.startswith("/") else reverse(url_name)
    return Entry(key=key, url=url, label=str(label), icon=icon, hint=str(hint))


def _public() -> list[Entry]:
    return [
        _entry("report", "hazard-report", _("Report a hazard"), "📷", _("Photo, location, done: about a minute.")),
        _entry("track", "hazard-track-lookup", _("Track a report"), "🔎", _("Follow a report by its tracking code.")),
        _entry("map", "hazard-map", _("Open hazards map"), "🗺", _("What has been reported near you.")),
        _entry("shop", "rewards-shop", _("Coupon shop"), "🎁", _("Spend the points you earned by helping.")),
    ]


def _resident() -> list[Entry]:
    return [
        _entry("report", "hazard-report", _("Report a hazard"), "📷", _("Photo, location, done: about a minute.")),
        _entry("my-reports", "hazard-my-reports", _("My reports"), "📄", _("Every report you made, live.")),
        _entry("track", "hazard-track-lookup", _("Track a report"), "🔎", _("Follow a report by its tracking code.")),
        _entry("map", "hazard-map", _("Open hazards map"), "🗺", _("What has been reported near you.")),
        _entry("wallet", "rewards-wallet", _("My points"), "💰", _("Your balance, your coupons, your history.")),
        _entry("shop", "rewards-shop", _("Coupon shop"), "🎁", _("Spend the points you earned by helping.")),
    ]


def _join() -> Entry:
    return _entry(
        "join", "volunteers:home", _("Become a volunteer"), "🙋", _("Help your neighbours fix hazards nearby.")
    )


def _volunteer() -> list[Entry]:
    return [
        _entry(
            "duty",
            "volunteers:me",
            _("Duty and my volunteer page"),
            "🦺",
            _("Go on duty, log service, see your hours."),
        ),
        _entry("tasks", "hazard-tasks", _("My tasks"), "📋", _("Offers and work in progress, live.")),
        _entry("wallet", "rewards-wallet", _("My points"), "💰", _("Your balance, your coupons, your history.")),
    ]


def _grid_worker() -> list[Entry]:
    return [
        _entry("tasks", "hazard-tasks", _("My tasks"), "📋", _("Offers and work in progress, live.")),
        _entry("grid", GRID_QUEUE_PATH, _("My grids"), "🧭", _("Every open report in your grids.")),
        _entry(
            "inspections",
            "campaigns:my-inspections",
            _("My inspections"),
            "✅",
            _("Checklists of the premises assigned to you."),
        ),
        _entry(
            "premises",
            "premises:list",
            _("Premises in my grids"),
            "🏪",
            _("The register and each one's hazard history."),
        ),
        _entry("report", "hazard-report", _("Report a hazard"), "📷", _("Found something on patrol? Report it.")),
    ]


def _merchant() -> list[Entry]:
    return [
        _entry(
            "merchant",
            "rewards-merchant",
            _("Check a coupon code"),
            "🏪",
            _("Type or scan the code on the customer's phone."),
        ),
        _entry(
            "recent-uses",
            "/merchant/#recent",
            _("Recently accepted codes"),
            "🧾",
            _("The codes your shop accepted lately."),
        ),
        _entry(
            "offers",
            "rewards-merchant-offers",
            _("My offers"),
            "🏷",
            _("Propose coupons; a dispatcher approves them."),
        ),
        _entry(
            "statement",
            "rewards-statement",
            _("Monthly statement"),
            "📑",
            _("The codes used at your shop each month, with a CSV."),
        ),
    ]


def _safety_officer(types: set[str]) -> list[Entry]:
    entries = []
    if "enterprise" in types:
        entries.append(
            _entry(
                "sensors",
                "alerts-sensors",
                _("Sensors and alerts"),
                "📟",
                _("Your enterprise's sensors and open alerts, live."),
            )
        )
    entries.append(
        _entry("my-premises", "premises:list", _("My premises"), "🏭", _("Your premises and their hazard history."))
    )
    return entries


def _dispatcher(staff: bool) -> list[Entry]:
    entries = [
        _entry("board", "office:board", _("Dispatcher board"), "🖥", _("Triage, dispatch and verify, live.")),
        _entry(
            "dashboard",
            "office:dashboard",
            _("Dashboard"),
            "📊",
            _("Headline figures, results per area, the risk map."),
        ),
        _entry(
            "campaigns",
            "campaigns:office-campaigns",
            _("Inspection campaigns"),
            "🗂",
            _("Plan, assign and follow premises inspections."),
        ),
        _entry(
            "approvals",
            "volunteers:approvals",
            _("Volunteer approvals"),
            "🙋",
            _("Applications and service minutes to review."),
        ),
        _entry(
            "premises",
            "premises:list",
            _("Premises register"),
            "🏪",
            _("Search, register, correct, import and export."),
        ),
        _entry("teams", "volunteers:teams", _("Volunteer teams"), "👥", _("Teams, members and their hours.")),
        _entry(
            "proposals",
            "rewards-coupon-proposals",
            _("Coupon proposals"),
            "🏷",
            _("Approve or return the offers merchants propose."),
        ),
        _entry(
            "statements",
            "rewards-statement",
            _("Merchant statements"),
            "📑",
            _("Codes used per merchant and month, with a CSV."),
        ),
        _entry(
            "clawbacks",
            "rewards-clawbacks",
            _("Points claw-backs"),
            "↩",
            _("Points taken back after a reopen; shortfalls to settle."),
        ),
        _entry("partners", "office:partners", _("Keys and partners"), "🔑", _("Open311 clients and merchants.")),
    ]
    if staff:
        entries.append(_entry("admin", "admin:index", _("Administration"), "⚙", _("Checklists, alert rules, coupons.")))
    return entries


class Navigation:
    """The sections one person sees, computed once per request (the menu and the home share it)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def roles(self) -> frozenset[str]:
        return user_roles(self.user)

    @cached_property
    def responsible_types(self) -> set[str]:
        """Types of the premises this person answers for (an enterprise's safety officer)."""
        if not getattr(self.user, "is_authenticated", False) or DISPATCHER in self.roles:
            return set()  # a dispatcher's own section already leads to every premises
        from hazards.premises.models import Premises

        return set(Premises.objects.filter(responsible_user=self.user).values_list("type__slug", flat=True).distinct())

    @cached_property
    def is_safety_officer(self) -> bool:
        return bool(self.responsible_types)

    @cached_property
    def sections(self) -> list[Section]:
        user = self.user
        if not getattr(user, "is_authenticated", False):
            return [Section("public", str(_("For everyone")), (*_public(), _join()))]
        roles = self.roles
        raw: list[tuple[str, str, list[Entry]]] = []
        if DISPATCHER in roles:
            raw.append(("dispatcher", pgettext_lazy("role", "Dispatcher"), _dispatcher(user.is_staff)))
        elif user.is_staff:
            raw.append(("staff", _("Administration"), [_entry("admin", "admin:index", _("Administration"), "⚙")]))
        if self.is_safety_officer:
            raw.append(("safety", pgettext_lazy("role", "Safety officer"), _safety_officer(self.responsible_types)))
        if MERCHANT_STAFF in roles:
            raw.append(("merchant", pgettext_lazy("role", "Merchant"), _merchant()))
        if GRID_WORKER in roles:
            raw.append(("grid_worker", pgettext_lazy("role", "Grid worker"), _grid_worker()))
        if VOLUNTEER in roles:
            raw.append(("volunteer", pgettext_lazy("role", "Volunteer"), _volunteer()))
        if RESIDENT in roles or not raw:
            extra = [] if VOLUNTEER in roles else [_join()]
            raw.append(("resident", pgettext_lazy("role", "Resident"), _resident() + extra))
        seen: set[str] = set()
        sections = []
        for key, title, entries in raw:
            fresh = tuple(e for e in entries if e.url not in seen)
            seen.update(e.url for e in fresh)
            if fresh:
                sections.append(Section(key, str(title), fresh))
        return sections

    @cached_property
    def primary(self) -> Section | None:
        return self.sections[0] if self.sections else None
