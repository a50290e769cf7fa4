"""The /premises/ pages: list with filters, one premises with its history, import and export."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hazards.premises.models import Premises
from hazards.premises.services import premises_link_hazard
from tests.premises.conftest import INSIDE_OTHER
from tests.premises.test_import import HEADER_ZH, good_file, line

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def test_list_page_per_role(client, make_premises, boss, worker, officer, resident):
    mine = make_premises(name="汾湖特钢", type="enterprise", responsible_user=officer.pk)
    here = make_premises(name="老王面馆")
    there = make_premises(name="川味小吃", latitude=INSIDE_OTHER[0], longitude=INSIDE_OTHER[1])
    page = logged_in(client, boss).get("/premises/")
    assert page.status_code == 200
    text = page.content.decode()
    assert all(p.name in text for p in (mine, here, there)) and "/premises/import/" in text
    text = logged_in(client, worker).get("/premises/").content.decode()
    assert here.name in text and there.name not in text and "/premises/import/" not in text
    assert "139****5678" in text and "13912345678" not in text
    text = logged_in(client, officer).get("/premises/").content.decode()
    assert mine.name in text and here.name not in text
    assert logged_in(client, resident).get("/premises/").status_code == 403
    client.logout()
    assert client.get("/premises/").status_code == 302


def test_list_page_filters(client, make_premises, boss, grid):
    a = make_premises(name="老王面馆", street="文化路")
    b = make_premises(name="汾湖五金", type="shop", street="黎里老街")
    client.force_login(boss)
    text = client.get("/premises/", {"type": "shop"}).content.decode()
    assert b.name in text and a.name not in text
    text = client.get("/premises/", {"street": "文化路", "grid": grid.pk}).content.decode()
    assert a.name in text and b.name not in text
    text = client.get("/premises/", {"q": "五金"}).content.decode()
    assert b.name in text and a.name not in text
    assert client.get("/premises/", {"grid": "nonsense"}).status_code == 200


@pytest.mark.parametrize("size", [3, 40])
def test_list_page_runs_constant_queries(client, make_premises, make_hazard, boss, size, django_assert_max_num_queries):
    for i in range(size):
        premises = make_premises(type=["restaurant", "shop"][i % 2])
        if i % 3 == 0:
            premises_link_hazard(premises_id=premises.pk, hazard_id=make_hazard().pk, origin="report")
    client.force_login(boss)
    with django_assert_max_num_queries(12):
        response = client.get("/premises/", {"street": "文化路"})
    assert response.status_code == 200 and response.content.decode().count('class="pr-card') == size


def test_detail_page_shows_history_with_links(client, make_premises, make_hazard, worker, officer, other_worker):
    premises = make_premises(responsible_user=officer.pk)
    hazard = make_hazard()
    premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin="inspection")
    page = logged_in(client, worker).get(f"/premises/{premises.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"/track/{hazard.tracking_code}/" in text and premises.name in text
    assert "139****5678" in text and "13912345678" not in text
    assert 'data-last-event-id="' in text and "js/premises/detail.js" in text
    text = logged_in(client, officer).get(f"/premises/{premises.pk}/").content.decode()
    assert "13912345678" in text
    assert logged_in(client, other_worker).get(f"/premises/{premises.pk}/").status_code == 404


def test_a_dispatcher_opens_the_history_in_the_back_office(client, make_premises, make_hazard, boss):
    premises, hazard = make_premises(), make_hazard()
    premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin="report")
    text = logged_in(client, boss).get(f"/premises/{premises.pk}/").content.decode()
    assert f'href="/office/hazards/{hazard.pk}/"' in text and 'data-office-links="1"' in text


@pytest.mark.parametrize("size", [1, 25])
def test_detail_page_runs_constant_queries(
    client, make_premises, make_hazard, boss, size, django_assert_max_num_queries
):
    premises = make_premises()
    for _ in range(size):
        premises_link_hazard(premises_id=premises.pk, hazard_id=make_hazard().pk, origin="report")
    client.force_login(boss)
    with django_assert_max_num_queries(10):
        response = client.get(f"/premises/{premises.pk}/")
    assert response.content.decode().count("data-hazard-id=") == min(size, 20)


def test_import_page(client, boss, worker, grid, other_grid):
    assert logged_in(client, worker).get("/premises/import/").status_code == 403
    client.force_login(boss)
    assert client.get("/premises/import/").status_code == 200
    bad = SimpleUploadedFile("bad.csv", (HEADER_ZH + "\n" + line("WH-1", phone="1") + "\n").encode("gb18030"))
    page = client.post("/premises/import/", {"file": bad})
    assert page.status_code == 200 and 'id="import-errors"' in page.content.decode()
    assert not Premises.objects.exists()
    good = SimpleUploadedFile("good.csv", good_file().encode("utf-8"))
    page = client.post("/premises/import/", {"file": good})
    assert page.status_code == 200 and Premises.objects.count() == 3


def test_export_is_importable_back(client, make_premises, boss, worker):
    make_premises(name="老王面馆")
    assert logged_in(client, worker).get("/premises/export.csv").status_code == 403
    client.force_login(boss)
    response = client.get("/premises/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    from hazards.premises.imports import premises_import

    report = premises_import(data=response.content, actor=boss)
    assert report.committed and (report.created, report.updated) == (0, 1)
    # The header row is in the page's language (Chinese), the field names with ?lang=en; both import.
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith("登记编码,名称,类型,地址")
    machines = client.get("/premises/export.csv?lang=en")
    assert machines.content.decode("utf-8-sig").splitlines()[0].startswith("code,name,type,address")
    assert premises_import(data=machines.content, actor=boss).committed


def test_admin_add_computes_the_grid(client, boss, grid):
    boss.is_staff = True
    boss.save()
    client.force_login(boss)
    form = {
        "code": "ADM-1",
        "name": "后台登记",
        "type": "1",
        "address": "文化路1号",
        "street": "",
        "latitude": "30.905",
        "longitude": "120.805",
        "contact_name": "",
        "contact_phone": "",
        "responsible_name": "王",
        "responsible_phone": "",
        "responsible_user": "",
        "active": "on",
        "notes": "",
    }
    from hazards.premises.models import PremisesType

    form["type"] = str(PremisesType.objects.get(slug="shop").pk)
    response = client.post("/admin/premises/premises/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Premises.objects.get(code="ADM-1").grid_id == grid.pk
    outside = client.post("/admin/premises/premises/add/", {**form, "code": "ADM-2", "latitude": "10"})
    assert outside.status_code == 200 and not Premises.objects.filter(code="ADM-2").exists()
    assert client.get("/admin/premises/premises/import/").status_code == 200
