"""Issue 21 item 10: the premises export escapes formulas (through govern.csv_export)."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]


def test_the_premises_export_escapes_formulas(make_premises):
    from hazards.premises.imports import export_csv
    from hazards.premises.models import Premises

    make_premises(name="@SUM(1+1)*cmd|' /C calc'!A0", notes=FORMULA)
    cells = _cells(export_csv(Premises.objects.order_by("id")))
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells and "'" + FORMULA in cells
    assert not any(c.startswith(("=", "@")) for c in cells)
