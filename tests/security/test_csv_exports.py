"""Issue 21 item 10: one CSV writer (govern.csv_export) for every export, escaping formulas."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]


def test_the_one_writer_escapes_every_formula_start():
    from govern.csv_export import cell, csv_text

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert cell(start + "1") == "'" + start + "1"
    assert _cells(csv_text([[FORMULA, "ok", 3]])) == ["'" + FORMULA, "ok", "3"]
