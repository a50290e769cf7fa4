"""The one CSV writer of govern, and which header row an export gets.

Every export (office lists, the volunteer roster, the premises register) writes its cells through
`cell()`: a text cell that a spreadsheet would read as a formula (starting with = + - @, tab or
CR) gets an apostrophe in front, since names, descriptions and notes come from the public and a
cell like `=HYPERLINK(...)` would run in the office's Excel (issue 21). Files start with a UTF-8
BOM so Excel opens Chinese text correctly.

The header is translated when the page's language is Chinese (Excel users in the office), and
stays the stable English field names when the language is English or the request says `?lang=en`
(scripts and integrations rely on those names; the rows themselves are the same either way).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import get_language


def wants_codes(request) -> bool:
    return request.GET.get("lang") == "en" or not (get_language() or "").startswith("zh")


def header_row(request, header: list[str], labels: Mapping[str, str]) -> list[str]:
    """`header` as field names, or each one's label (the name itself when it has none)."""
    if wants_codes(request):
        return list(header)
    return [str(labels.get(name, name)) for name in header]


FLUSH_ROWS = 500
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
            if timezone.is_aware(value)
            else value.isoformat(" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_chunks(
    header: list[str], rows: Iterable[tuple], convert: Callable[[tuple], Iterable] | None = None
) -> Iterator[str]:
    """BOM + header, then rows in blocks of FLUSH_ROWS: a few hundred rows per write to the socket."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([cell(v) for v in (convert(row) if convert else row)])
        pending += 1
        if pending >= FLUSH_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def csv_text(rows: Iterable[Iterable], header: list[str] | None = None) -> str:
    """A whole (small) export as text: BOM, the header if given, then every cell through cell()."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue()
