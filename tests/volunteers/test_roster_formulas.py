"""Issue 21 item 10: the roster export escapes formulas (through govern.csv_export)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.volunteers.test_roster import HEADER, good_rows

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]


def test_the_roster_export_escapes_formulas(team, skills, boss):
    from volunteers import roster
    from volunteers.models import Volunteer

    roster.roster_import(data=(HEADER + good_rows(team)).encode(), actor=boss)
    Volunteer.objects.filter(pk=Volunteer.objects.order_by("id").first().pk).update(real_name=FORMULA)
    cells = _cells(roster.roster_csv(Volunteer.objects.order_by("id")))
    assert "'" + FORMULA in cells and FORMULA not in cells
