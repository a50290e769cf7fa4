"""CSV import: all or nothing with a per-line report, encodings, Chinese headers, upsert by code."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import translation

from hazards.premises.imports import premises_import
from hazards.premises.models import Premises
from tests.premises.conftest import INSIDE, INSIDE_OTHER

pytestmark = pytest.mark.django_db

HEADER_EN = "code,name,type,address,street,latitude,longitude,contact_name,contact_phone,responsible_name,responsible_phone,responsible_user,active,notes"
HEADER_ZH = "登记编码,名称,类型,地址,街道,纬度,经度,联系人,联系电话,责任人,责任人手机,责任人账号,在营,备注"


def line(
    code, name="老王面馆", type_="restaurant", lat=INSIDE[0], lng=INSIDE[1], phone="13912345678", user="", active="yes"
):
    return f"{code},{name},{type_},文化路1号,文化路,{lat},{lng},王老板,0512-63251234,王建国,{phone},{user},{active},"


def good_file(header=HEADER_EN, user=""):
    return (
        "\n".join(
            [
                header,
                line("WH-001", user=user),
                line("WH-002", name="川味小吃", lat=INSIDE_OTHER[0], lng=INSIDE_OTHER[1]),
                line("WH-003", name="汾湖五金", type_="商铺"),
            ]
        )
        + "\n"
    )


def test_a_good_file_imports_every_row(boss, grid, other_grid, officer):
    report = premises_import(data=good_file(user=officer.username).encode("utf-8"), actor=boss)
    assert report.committed and report.ok, report.errors
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    first = Premises.objects.get(code="WH-001")
    assert first.grid_id == grid.pk and first.responsible_user_id == officer.pk
    assert Premises.objects.get(code="WH-002").grid_id == other_grid.pk
    assert Premises.objects.get(code="WH-003").type.slug == "shop"  # by the type's Chinese name


@translation.override("en")  # the assertions read the English sentences
def test_bad_lines_write_nothing_and_each_is_reported(boss, grid):
    text = (
        "\n".join(
            [
                HEADER_EN,
                line("WH-001"),
                line("WH-002", phone="12345"),  # line 3: bad mobile
                line("WH-003", lat=31.9, lng=121.9),  # line 4: outside every grid
                line("WH-001"),  # line 5: code twice in the file
                line("WH-005", type_="casino", user="nobody", active="maybe"),  # line 6: three problems
            ]
        )
        + "\n"
    )
    report = premises_import(data=text, actor=boss)
    assert not report.committed and report.created == 0
    assert not Premises.objects.exists()
    by_line = {e.line: e for e in report.errors}
    assert sorted(by_line) == [3, 4, 5, 6]
    assert any("responsible_phone" in m for m in by_line[3].messages)
    assert any("latitude/longitude" in m for m in by_line[4].messages)
    assert any("twice" in m for m in by_line[5].messages)
    assert len(by_line[6].messages) == 3 and by_line[6].code == "WH-005"
    with translation.override("en"):
        assert report.summary().startswith("Nothing was imported: 4 of 5 rows have errors")


def test_gb18030_with_chinese_headers(boss, grid, other_grid):
    data = good_file(header=HEADER_ZH).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = premises_import(data=data, actor=boss)
    assert report.committed, report.errors
    assert Premises.objects.get(code="WH-001").name == "老王面馆"


def test_utf8_with_bom(boss, grid, other_grid):
    report = premises_import(data="\ufeff".encode() + good_file().encode("utf-8"), actor=boss)
    assert report.committed, report.errors
    assert Premises.objects.count() == 3


def test_upsert_by_code_updates_and_leaves_missing_columns(boss, grid, other_grid, officer):
    premises_import(data=good_file(user=officer.username), actor=boss)
    again = "\n".join(
        [
            "code,name,type,address,latitude,longitude,responsible_name",
            f"WH-001,老王面馆（新店名）,restaurant,文化路1号,{INSIDE_OTHER[0]},{INSIDE_OTHER[1]},王建国",
            f"WH-009,新开的店,shop,文化路9号,{INSIDE[0]},{INSIDE[1]},李四",
        ]
    )
    report = premises_import(data=again, actor=boss)
    assert report.committed, report.errors
    assert (report.created, report.updated) == (1, 1)
    first = Premises.objects.get(code="WH-001")
    assert first.name == "老王面馆（新店名）" and first.grid_id == other_grid.pk
    # Columns the file did not have are left as they were.
    assert (
        first.responsible_user_id == officer.pk
        and first.street == "文化路"
        and first.responsible_phone == "13912345678"
    )
    assert Premises.objects.count() == 4


def test_file_level_problems(boss, grid, other_grid, worker):
    with translation.override("en"):
        assert premises_import(data="", actor=boss).errors[0].messages == ["The file is empty."]
        assert premises_import(data=HEADER_EN + "\n", actor=boss).errors[0].messages == [
            "The file has a header but no rows."
        ]
    missing = premises_import(data="code,name\nA,b\n", actor=boss)
    assert not missing.committed and "latitude" in missing.errors[0].messages[0]
    refused = premises_import(data=good_file(), actor=worker)
    assert not refused.committed and refused.errors[0].line == 0
    assert not Premises.objects.exists()


def test_management_command(boss, grid, other_grid, tmp_path, capsys):
    boss.username = "boss"
    boss.save()
    path = tmp_path / "register.csv"
    path.write_bytes(good_file(header=HEADER_ZH).encode("gb18030"))
    call_command("import_premises", str(path), "--as", "boss")
    assert Premises.objects.count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER_EN + "\n" + line("WH-100", phone="1") + "\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("import_premises", str(bad), "--as", "boss")
    assert "line 2 WH-100" in capsys.readouterr().err
    assert Premises.objects.count() == 3


def test_nul_characters_and_broken_csv_are_reported_not_crashed(boss, grid):
    report = premises_import(data=HEADER_EN + "\n" + line("WH-1", name="老王\x00面馆") + "\n", actor=boss)
    assert not report.committed and report.errors[0].line == 2
    assert any("NUL" in m for m in report.errors[0].messages)
    huge = HEADER_EN + "\n" + line("WH-2", name='"' + "x" * 200_000 + '"') + "\n"
    report = premises_import(data=huge, actor=boss)
    assert not report.committed and report.errors
    assert not Premises.objects.exists()
