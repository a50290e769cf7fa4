"""Reading the CSV files offices keep in Excel: one decoder and one header-aware row reader for
every all-or-nothing import (volunteer roster, premises register)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _


def decode(data: bytes | str) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 (what Chinese Excel saves by default)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_rows(
    text: str, *, columns: Sequence[str], required: Sequence[str], aliases: Mapping[str, str]
) -> tuple[list[str], list[tuple[int, dict]], list[str]]:
    """(columns present, [(line, row)], file-level problems).

    Headers may be the column names (any case) or their Chinese aliases; unknown columns are
    ignored; blank lines are skipped. A row holds only the columns the file has, values stripped,
    so an import can tell "left out" from "emptied". The line is the file's (the header is 1).
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [_("The file is empty.")]
    names = [aliases.get(h.strip(), h.strip().lower()) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        return names, [], [_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}]
    duplicated = sorted({n for n in names if n in columns and names.count(n) > 1})
    if duplicated:
        return names, [], [_("Columns given twice: %(cols)s.") % {"cols": ", ".join(duplicated)}]
    present = [n for n in names if n in columns]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = dict.fromkeys(present, "")
        for name, value in zip(names, values, strict=False):
            if name in row:
                row[name] = value.strip()
        rows.append((reader.line_num, row))
    return present, rows, []
