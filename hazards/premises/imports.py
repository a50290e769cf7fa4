"""CSV import of the premises register (the /premises/import/ page, the admin and `manage.py import_premises`).

All or nothing: every row is checked first (the same rules as the API, hazards.premises.clean
.clean_fields); one bad row and nothing is written, with a report naming every bad line and why.
Rows are upserted by register code: a code already registered updates that premises with the
columns the file has (a column missing from the header leaves the field as it is).

Encoding: UTF-8 with or without Excel's BOM, else GB18030 (what Chinese Excel saves).

Columns (header names in English or Chinese; order free):
  code 登记编码/编码 (required)   name 名称/场所名称 (required)
  type 类型/场所类型 (slug, or the type's Chinese or English name; required)
  address 地址 (required)   street 街道/道路   latitude 纬度 (required)   longitude 经度 (required)
  contact_name 联系人   contact_phone 联系电话
  responsible_name 责任人 (required)   responsible_phone 责任人手机/责任人电话
  responsible_user 责任人账号 (an account's username)   active 在营/启用 (yes/no, default yes)   notes 备注
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govern import csv_export, csv_import
from govern.models import User
from hazards.premises import conf
from hazards.premises.clean import FIELDS, REQUIRED, clean_fields
from hazards.premises.models import Premises, PremisesType
from hazards.premises.policy import can_manage
from hazards.premises.services import premises_write

COLUMNS = list(FIELDS)
ALIASES = {
    "登记编码": "code",
    "编码": "code",
    "编号": "code",
    "名称": "name",
    "场所名称": "name",
    "类型": "type",
    "场所类型": "type",
    "地址": "address",
    "街道": "street",
    "道路": "street",
    "纬度": "latitude",
    "经度": "longitude",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "责任人": "responsible_name",
    "责任人手机": "responsible_phone",
    "责任人电话": "responsible_phone",
    "责任人账号": "responsible_user",
    "在营": "active",
    "启用": "active",
    "备注": "notes",
}
TRUE = {"", "yes", "y", "true", "1", "是", "在营", "启用"}
FALSE = {"no", "n", "false", "0", "否", "停业", "停用"}


@dataclass
class RowError:
    line: int  # line number in the file (the header is line 1)
    code: str
    messages: list[str]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.committed:
            return _("Imported %(rows)d rows: %(created)d new premises, %(updated)d updated.") % {
                "rows": self.rows,
                "created": self.created,
                "updated": self.updated,
            }
        return _("Nothing was imported: %(bad)d of %(rows)d rows have errors. Fix them and import the file again.") % {
            "bad": len(self.errors),
            "rows": self.rows,
        }


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict]], list[str]]:
    """(columns present, [(line, row)], file-level problems)."""
    return csv_import.read_rows(text, columns=COLUMNS, required=REQUIRED, aliases=ALIASES)


class _Lookups:
    """What validation needs from the database, fetched once per file."""

    def __init__(self, rows: list[dict]):
        self.types: dict[str, PremisesType] = {}
        for t in PremisesType.objects.all():
            self.types.update({t.slug: t, t.name: t, t.name_en.lower(): t})
        usernames = {r.get("responsible_user", "") for r in rows} - {""}
        self.users = {u.username.lower(): u for u in User.objects.filter(username__in=usernames, is_active=True)}
        codes = [r["code"] for r in rows if r.get("code")]
        self.existing = {p.code: p for p in Premises.objects.filter(code__in=codes)}

    def type_slug(self, text: str) -> str:
        found = self.types.get(text) or self.types.get(text.lower())
        return found.slug if found else text


@dataclass
class _Plan:
    line: int
    premises: Premises | None
    cleaned: dict


def _validate(line: int, row: dict, look: _Lookups, seen_codes: set) -> tuple[_Plan | None, list[str]]:
    messages: list[str] = []
    values: dict = dict(row)
    if "type" in values:
        values["type"] = look.type_slug(values["type"])
    if "responsible_user" in values:
        username = values["responsible_user"]
        if username:
            user = look.users.get(username.lower())
            if user is None:
                messages.append(_("responsible_user: no active account named %(u)s.") % {"u": username})
                values.pop("responsible_user")
            else:
                values["responsible_user"] = user.pk
        else:
            values["responsible_user"] = None
    if "active" in values:
        text = values["active"].lower()
        if text in TRUE:
            values["active"] = True
        elif text in FALSE:
            values["active"] = False
        else:
            messages.append(_("active must be yes or no."))
            values.pop("active")
    code = values.get("code", "")
    existing = look.existing.get(code)
    # Existing account ids were checked here already: give clean_fields the user object's id path.
    cleaned, errors = clean_fields(values, types={t.slug: t for t in look.types.values()}, creating=existing is None)
    if code and code.lower() in seen_codes:
        messages.append(_("code %(code)s appears twice in this file.") % {"code": code})
    seen_codes.add(code.lower())
    messages += [message if message.startswith(name) else f"{name}: {message}" for name, message in errors.items()]
    if messages:
        return None, messages
    return _Plan(line, existing, cleaned), []


class _AbortImportError(Exception):
    pass


def premises_import(*, data: bytes | str, actor) -> ImportReport:
    """Import a CSV register (see the module docstring). Only dispatchers import."""
    report = ImportReport()
    if not can_manage(actor):
        report.errors.append(RowError(0, "", [_("Only dispatchers import the premises register.")]))
        return report
    try:
        text = csv_import.decode(data)
    except UnicodeDecodeError:
        report.errors.append(RowError(0, "", [_("The file is neither UTF-8 nor GB18030 text.")]))
        return report
    try:
        _present, rows, problems = read_rows(text)
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit
        report.errors.append(RowError(0, "", [_("The file is not valid CSV: %(why)s") % {"why": exc}]))
        return report
    report.rows = len(rows)
    if problems:
        report.errors.append(RowError(1, "", problems))
        return report
    if not rows:
        report.errors.append(RowError(0, "", [_("The file has a header but no rows.")]))
        return report
    if len(rows) > conf.import_max_rows():
        report.errors.append(
            RowError(0, "", [_("At most %(n)d rows per file; split the register.") % {"n": conf.import_max_rows()}])
        )
        return report
    look = _Lookups([row for _line, row in rows])
    plans: list[_Plan] = []
    seen_codes: set[str] = set()
    for line, row in rows:
        plan, messages = _validate(line, row, look, seen_codes)
        if messages:
            report.errors.append(RowError(line, row.get("code", ""), messages))
        else:
            plans.append(plan)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for plan in plans:
                try:
                    with transaction.atomic():
                        premises_write(premises=plan.premises, cleaned=plan.cleaned)
                except IntegrityError as exc:  # e.g. the same code registered meanwhile
                    report.errors.append(
                        RowError(plan.line, plan.cleaned.get("code", ""), [_("conflicts with data saved meanwhile")])
                    )
                    raise _AbortImportError from exc
                if plan.premises is None:
                    report.created += 1
                else:
                    report.updated += 1
    except _AbortImportError:
        report.created = report.updated = 0
        return report
    report.committed = True
    return report


EXPORT_HEADER = list(COLUMNS)
# The Chinese header of an export: each column's first Chinese name above (importable back).
CHINESE_HEADER = {column: next(name for name, target in ALIASES.items() if target == column) for column in COLUMNS}


def export_rows(queryset, header: list[str] | None = None):
    """Header and one row per premises, in the import's format (importable back)."""
    yield header or EXPORT_HEADER
    for p in queryset.select_related("type", "responsible_user"):
        yield [
            p.code,
            p.name,
            p.type.slug,
            p.address,
            p.street,
            f"{p.latitude:.6f}",
            f"{p.longitude:.6f}",
            p.contact_name,
            p.contact_phone,
            p.responsible_name,
            p.responsible_phone,
            p.responsible_user.username if p.responsible_user else "",
            "yes" if p.active else "no",
            p.notes,
        ]


def export_csv(queryset, header: list[str] | None = None) -> str:
    """The export as text with a BOM (Excel), formulas escaped: govern.csv_export, the one writer."""
    return csv_export.csv_text(export_rows(queryset, header))
