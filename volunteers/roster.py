"""CSV roster import and export (admin view, admin action and management commands use this).

Import rules: every row is validated before anything is written, and each row is written whole or
not at all. By default the file is all-or-nothing too: one bad row and nothing is imported, with a
report naming every bad row and why. With `partial=True` the valid rows are imported (each in its
own savepoint) and the bad ones reported. Rows go through the same services as the API, so the
same rules, history and events apply.

Columns (header names in English or Chinese; order free):
  username 用户名 (required)   real_name 姓名 (required)   phone 手机号 (required)
  community 社区 (code or name, required)   team 队伍 (team name in that community)
  skills 技能 ("gas-safety:2027-06-30; first-aid" – slug, optional certificate expiry)
  availability 可服务时间 ("1-5 18:00-21:00; 6,7 09:00-17:00" – ISO weekdays, time range)
  status 状态 (approved [default] or pending)   team_leader 队长 (yes/no)
  password 密码 (optional; empty leaves the account without a usable password until one is set)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern import csv_export, csv_import
from govern.errors import DomainError
from govern.models import Community, User
from govern.roles import is_dispatcher
from govern.services import user_register
from volunteers import clean, conf, services
from volunteers.models import Skill, Team, Volunteer, VolunteerStatus

COLUMNS = [
    "username",
    "real_name",
    "phone",
    "community",
    "team",
    "skills",
    "availability",
    "status",
    "team_leader",
    "password",
]
REQUIRED = ["username", "real_name", "phone", "community"]
ALIASES = {
    "用户名": "username",
    "姓名": "real_name",
    "手机号": "phone",
    "手机": "phone",
    "社区": "community",
    "队伍": "team",
    "技能": "skills",
    "可服务时间": "availability",
    "状态": "status",
    "队长": "team_leader",
    "密码": "password",
}
TRUE = {"yes", "y", "true", "1", "是", "队长"}
FALSE = {"", "no", "n", "false", "0", "否"}


@dataclass
class RowError:
    line: int  # line number in the file (the header is line 1)
    username: str
    messages: list[str]


@dataclass
class RosterReport:
    rows: int = 0
    imported: int = 0
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.committed and self.ok:
            return _("Imported %(n)d of %(rows)d rows.") % {"n": self.imported, "rows": self.rows}
        if self.committed:
            return _("Imported %(n)d of %(rows)d rows; %(bad)d rows had errors and were skipped.") % {
                "n": self.imported,
                "rows": self.rows,
                "bad": len(self.errors),
            }
        return _("Nothing was imported: %(bad)d of %(rows)d rows have errors. Fix them and import the file again.") % {
            "bad": len(self.errors),
            "rows": self.rows,
        }


@dataclass
class _Plan:
    line: int
    username: str
    real_name: str
    phone: str
    community: Community
    team: Team | None
    skills: list[clean.SkillClaim]
    slots: list[clean.Slot]
    status: str
    leader: bool
    password: str
    existing_user: User | None


_WEEKDAYS = re.compile(r"^[1-7](?:-[1-7])?(?:,[1-7](?:-[1-7])?)*$")


def parse_availability(text: str) -> list[clean.Slot]:
    """ "1-5 18:00-21:00; 6,7 09:00-17:00" → slots. ValueError with a sentence when malformed."""
    slots = []
    for part in re.split(r"[;；]", text or ""):
        part = part.strip()
        if not part:
            continue
        try:
            days_text, times = part.split()
            start_text, end_text = times.split("-")
            start = dt.datetime.strptime(start_text, "%H:%M").time()
            end = dt.datetime.strptime(end_text, "%H:%M").time()
        except ValueError:
            raise ValueError(_("availability “%(part)s” is not like “1-5 18:00-21:00”.") % {"part": part})
        if not _WEEKDAYS.match(days_text):
            raise ValueError(_("availability “%(part)s”: weekdays are 1 (Monday) to 7 (Sunday).") % {"part": part})
        for chunk in days_text.split(","):
            low, _sep, high = chunk.partition("-")
            if int(high or low) < int(low):
                raise ValueError(_("availability “%(part)s”: weekdays are 1 (Monday) to 7 (Sunday).") % {"part": part})
            for weekday in range(int(low), int(high or low) + 1):
                slots.append(clean.Slot(weekday, start, end))
    return slots


def format_availability(slots: Iterable) -> str:
    return "; ".join(f"{s.weekday} {s.start_time:%H:%M}-{s.end_time:%H:%M}" for s in slots)


def parse_skills(text: str) -> list[clean.SkillClaim]:
    claims = []
    for part in re.split(r"[;；|]", text or ""):
        part = part.strip()
        if not part:
            continue
        slug, _sep, until = part.partition(":")
        expiry = None
        if until.strip():
            try:
                expiry = dt.date.fromisoformat(until.strip())
            except ValueError:
                raise ValueError(_("skill “%(part)s”: the expiry must be a date like 2027-06-30.") % {"part": part})
        claims.append(clean.SkillClaim(slug.strip(), expiry))
    return claims


def format_skills(links: Iterable) -> str:
    return "; ".join(
        f"{link.skill.slug}:{link.certified_until.isoformat()}" if link.certified_until else link.skill.slug
        for link in links
    )


def _catch(errors: list[str], fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        errors.append(f"{exc.field}: {exc.message}" if exc.field else str(exc.message))
    except ValueError as exc:
        errors.append(str(exc))
    return None


class _Lookups:
    """Everything a validation pass needs from the database, fetched once per file."""

    def __init__(self, rows: list[dict]):
        phones = {r["phone"] for r in rows if r["phone"]}
        self.communities = {c.code: c for c in Community.objects.all()} | {c.name: c for c in Community.objects.all()}
        self.teams = {(t.community_id, t.name): t for t in Team.objects.all()}
        self.skills = {s.slug: s for s in Skill.objects.all()}
        self.users = {u.username.lower(): u for u in User.objects.filter(username__in=[r["username"] for r in rows])}
        self.profiles = set(
            Volunteer.objects.filter(user__in=list(self.users.values())).values_list("user_id", flat=True)
        )
        self.taken_phones = set(Volunteer.objects.filter(phone__in=phones).values_list("phone", flat=True))


def _validate(
    line: int, row: dict, look: _Lookups, seen_usernames: set, seen_phones: set
) -> tuple[_Plan | None, list[str]]:
    errors: list[str] = []
    username = row["username"]
    for name in REQUIRED:
        if not row[name]:
            errors.append(_("%(column)s is required.") % {"column": name})
    if username:
        if len(username) > 150 or not re.match(r"^[\w.@+-]+$", username):
            errors.append(_("username may contain only letters, digits and @/./+/-/_ (at most 150)."))
        elif username.lower() in seen_usernames:
            errors.append(_("username %(u)s appears twice in this file.") % {"u": username})
        seen_usernames.add(username.lower())
    existing_user = look.users.get(username.lower()) if username else None
    if existing_user is not None and existing_user.pk in look.profiles:
        errors.append(_("user %(u)s is already a volunteer.") % {"u": username})
    phone = re.sub(r"[\s-]", "", row["phone"])
    if phone:
        if not re.match(r"^1[3-9]\d{9}$", phone):
            errors.append(_("phone %(p)s is not a mainland China mobile number (11 digits, 13–19).") % {"p": phone})
        elif phone in look.taken_phones:
            errors.append(_("phone %(p)s is already registered by another volunteer.") % {"p": phone})
        elif phone in seen_phones:
            errors.append(_("phone %(p)s appears twice in this file.") % {"p": phone})
        seen_phones.add(phone)
    if len(row["real_name"]) > 40:
        errors.append(_("real_name is too long (at most 40 characters)."))
    community = look.communities.get(row["community"]) if row["community"] else None
    if row["community"] and community is None:
        errors.append(_("community %(c)s does not exist (use its code or name).") % {"c": row["community"]})
    team = None
    if row["team"] and community is not None:
        team = look.teams.get((community.pk, row["team"]))
        if team is None:
            errors.append(_("team %(t)s does not exist in %(c)s.") % {"t": row["team"], "c": community.name})
    claims = _catch(errors, parse_skills, row["skills"]) or []
    for claim in claims:
        if claim.slug not in look.skills:
            errors.append(_("Unknown skill: %(slug)s.") % {"slug": claim.slug})
        elif claim.certified_until is not None and claim.certified_until < timezone.localdate():
            errors.append(
                _("skill %(slug)s: the certificate expired on %(date)s.")
                % {"slug": claim.slug, "date": claim.certified_until}
            )
    if len({c.slug for c in claims}) != len(claims):
        errors.append(_("Each skill may be listed only once."))
    slots = _catch(errors, parse_availability, row["availability"]) or []
    if slots:
        _catch(errors, clean.clean_availability, slots)
    status = (row["status"] or VolunteerStatus.APPROVED).lower()
    if status not in (VolunteerStatus.APPROVED, VolunteerStatus.PENDING):
        errors.append(_("status must be approved or pending."))
    if row["password"] and existing_user is None:
        try:
            validate_password(row["password"], user=User(username=username, phone=phone))
        except ValidationError as exc:
            errors.append(_("password: %(why)s") % {"why": " ".join(exc.messages)})
    leader_text = row["team_leader"].lower()
    if leader_text not in TRUE | FALSE:
        errors.append(_("team_leader must be yes or no."))
    leader = leader_text in TRUE
    if leader and (team is None or status != VolunteerStatus.APPROVED):
        errors.append(_("a team leader needs a team and status approved."))
    if errors:
        return None, errors
    return _Plan(
        line,
        username,
        row["real_name"],
        phone,
        community,
        team,
        claims,
        slots,
        status,
        leader,
        row["password"],
        existing_user,
    ), []


def _write(plan: _Plan, actor: User) -> Volunteer:
    user = plan.existing_user
    if user is None:
        # No password in the file: the account has no usable password until an admin sets one.
        user = user_register(username=plan.username, password=plan.password or None, phone=plan.phone)
    volunteer = services.volunteer_apply(
        actor=user,
        real_name=plan.real_name,
        phone=plan.phone,
        community_id=plan.community.pk,
        team_id=plan.team.pk if plan.team else None,
        skills=plan.skills,
        availability=plan.slots,
    )
    if plan.status == VolunteerStatus.APPROVED:
        services.volunteer_approve(volunteer_id=volunteer.pk, actor=actor, reason=_("Imported from a roster"))
    if plan.leader:
        services.team_leader_set(volunteer_id=volunteer.pk, is_leader=True, actor=actor)
    return volunteer


class _AbortImportError(Exception):
    pass


def read_rows(text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line, normalised row) pairs, or file-level problems (missing columns...); every column is in
    every row (empty when the file has no such column)."""
    _present, rows, problems = csv_import.read_rows(text, columns=COLUMNS, required=REQUIRED, aliases=ALIASES)
    return [(line, {**dict.fromkeys(COLUMNS, ""), **row}) for line, row in rows], problems


def roster_import(*, data: bytes | str, actor: User, partial: bool = False) -> RosterReport:
    """Import a CSV roster (see the module docstring). Only dispatchers import."""
    report = RosterReport()
    if not is_dispatcher(actor):
        report.errors.append(RowError(0, "", [_("Only dispatchers import rosters.")]))
        return report
    try:
        text = csv_import.decode(data)
    except UnicodeDecodeError:
        report.errors.append(RowError(0, "", [_("The file is neither UTF-8 nor GB18030 text.")]))
        return report
    rows, problems = read_rows(text)
    report.rows = len(rows)
    if problems:
        report.errors.append(RowError(1, "", problems))
        return report
    if len(rows) > conf.roster_max_rows():
        report.errors.append(
            RowError(0, "", [_("At most %(n)d rows per file; split the roster.") % {"n": conf.roster_max_rows()}])
        )
        return report
    look = _Lookups([row for _line, row in rows])
    plans: list[_Plan] = []
    seen_usernames: set[str] = set()
    seen_phones: set[str] = set()
    for line, row in rows:
        plan, errors = _validate(line, row, look, seen_usernames, seen_phones)
        if errors:
            report.errors.append(RowError(line, row["username"], errors))
        else:
            plans.append(plan)
    if report.errors and not partial:
        return report
    try:
        with transaction.atomic():
            for plan in plans:
                try:
                    with transaction.atomic():  # a row is written whole or not at all
                        _write(plan, actor)
                    report.imported += 1
                except (DomainError, IntegrityError) as exc:
                    message = (
                        f"{exc.field}: {exc.message}"
                        if isinstance(exc, DomainError) and exc.field
                        else (
                            str(exc.message)
                            if isinstance(exc, DomainError)
                            else _("conflicts with data saved meanwhile")
                        )
                    )
                    report.errors.append(RowError(plan.line, plan.username, [message]))
                    if not partial:
                        raise _AbortImportError from exc
    except _AbortImportError:
        report.imported = 0
        return report
    report.errors.sort(key=lambda e: e.line)
    report.committed = True
    return report


EXPORT_COLUMNS = COLUMNS[:-1] + ["service_minutes", "on_duty", "applied_at"]


def roster_rows(queryset) -> Iterator[list[str]]:
    """Header and one row per volunteer, in the import's format (importable back, minus passwords)."""
    yield EXPORT_COLUMNS
    for v in queryset.select_related("user", "community", "team").prefetch_related(
        "skill_links__skill", "availability"
    ):
        yield [
            v.user.username,
            v.real_name,
            v.phone,
            v.community.code,
            v.team.name if v.team else "",
            format_skills(v.skill_links.all()),
            format_availability(v.availability.all()),
            v.status,
            "yes" if v.is_team_leader else "no",
            str(v.service_minutes),
            "yes" if v.on_duty else "no",
            timezone.localtime(v.applied_at).isoformat(timespec="seconds"),
        ]


def roster_csv(queryset) -> str:
    """The export as text with a BOM (Excel), formulas escaped: govern.csv_export, the one writer."""
    return csv_export.csv_text(roster_rows(queryset))
