"""The register's own pages for dispatchers (no admin needed): register a premises, correct one,
issue an enterprise's sensor key (shown once). Others get the 403 page; bad input is a Chinese
sentence on the field it concerns, never a 500."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from govern.api_keys import api_client_for_key
from hazards.premises.models import EnterpriseKey, Premises
from tests.premises.conftest import INSIDE, INSIDE_OTHER

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    values = {
        "code": "NEW-001",
        "name": "汾湖茶馆",
        "type": "restaurant",
        "address": "文化路8号",
        "street": "文化路",
        "latitude": INSIDE[0],
        "longitude": INSIDE[1],
        "contact_name": "",
        "contact_phone": "",
        "responsible_name": "李掌柜",
        "responsible_phone": "13912345678",
        "responsible_account": "",
        "active": "on",
        "notes": "",
    }
    values.update(overrides)
    return values


def test_a_dispatcher_registers_a_premises_on_its_own_page(client, boss, grid):
    client.force_login(boss)
    assert client.get("/premises/new/").status_code == 200
    response = client.post("/premises/new/", _form())
    created = Premises.objects.get(code="NEW-001")
    assert response.status_code == 302 and response["Location"] == f"/premises/{created.pk}/"
    assert created.grid == grid and created.type.slug == "restaurant" and created.active
    # The list offers this page, not the admin.
    text = client.get("/premises/").content.decode()
    assert "/premises/new/" in text and "/admin/" not in text


def test_bad_input_is_a_chinese_sentence_on_its_field(client, boss, make_premises, other_grid):
    taken = make_premises()
    client.force_login(boss)
    with translation.override("zh-hans"):
        outside = client.post("/premises/new/", _form(latitude=10, longitude=10), HTTP_ACCEPT_LANGUAGE="zh-hans")
        duplicate = client.post("/premises/new/", _form(code=taken.code), HTTP_ACCEPT_LANGUAGE="zh-hans")
        phone = client.post("/premises/new/", _form(responsible_phone="12345"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        nobody = client.post("/premises/new/", _form(responsible_account="nobody"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert outside.status_code == 400 and "网格" in outside.context["form"].errors["latitude"][0]
    assert duplicate.status_code == 400 and "code" in duplicate.context["form"].errors
    assert phone.status_code == 400 and "responsible_phone" in phone.context["form"].errors
    assert nobody.status_code == 400 and "没有名为 nobody" in nobody.context["form"].errors["responsible_account"][0]
    assert Premises.objects.count() == 1


def test_a_dispatcher_corrects_a_premises(client, boss, officer, make_premises, other_grid):
    premises = make_premises()
    client.force_login(boss)
    page = client.get(f"/premises/{premises.pk}/edit/")
    assert page.status_code == 200 and page.context["form"].initial["code"] == premises.code
    detail = client.get(f"/premises/{premises.pk}/").content.decode()
    assert f"/premises/{premises.pk}/edit/" in detail and "/admin/" not in detail
    form = _form(
        code=premises.code,
        name="汾湖茶馆（新）",
        latitude=INSIDE_OTHER[0],
        longitude=INSIDE_OTHER[1],
        responsible_account=officer.username.upper(),
        active="",
    )
    response = client.post(f"/premises/{premises.pk}/edit/", form)
    assert response.status_code == 302
    premises.refresh_from_db()
    assert premises.name == "汾湖茶馆（新）" and premises.grid == other_grid  # the grid follows the point
    assert premises.responsible_user == officer and not premises.active
    assert client.get("/premises/999999/edit/").status_code == 404


def test_a_dispatcher_issues_an_enterprise_sensor_key_shown_once(client, boss, make_premises):
    enterprise = make_premises(type="enterprise", name="汾湖特钢")
    restaurant = make_premises()
    client.force_login(boss)
    assert f"/premises/{enterprise.pk}/keys/" in client.get(f"/premises/{enterprise.pk}/").content.decode()
    assert f"/premises/{restaurant.pk}/keys/" not in client.get(f"/premises/{restaurant.pk}/").content.decode()
    page = client.get(f"/premises/{enterprise.pk}/keys/")
    assert page.status_code == 200 and page.context["issued"] is None and "no-store" in page["Cache-Control"]
    posted = client.post(f"/premises/{enterprise.pk}/keys/", {"name": "1号网关"})
    assert posted.status_code == 302 and posted["Location"] == f"/premises/{enterprise.pk}/keys/"
    response = client.get(posted["Location"])  # the page after the POST shows it, once
    raw = response.context["issued"]["raw"]
    assert raw in response.content.decode() and "no-store" in response["Cache-Control"]
    key = EnterpriseKey.objects.get(premises=enterprise)
    assert api_client_for_key(raw) == key.api_client and key.api_client.name == "1号网关"
    again = client.get(f"/premises/{enterprise.pk}/keys/").content.decode()
    assert raw not in again and key.api_client.key_prefix in again  # listed by prefix, never shown again
    assert EnterpriseKey.objects.filter(premises=enterprise).count() == 1  # reloading issued nothing more
    with translation.override("zh-hans"):
        refused = client.post(f"/premises/{restaurant.pk}/keys/", {"name": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 400 and "传感器密钥只发给企业" in refused.content.decode()
    assert not EnterpriseKey.objects.filter(premises=restaurant).exists()


@pytest.mark.parametrize("path", ["/premises/new/", "/premises/{id}/edit/", "/premises/{id}/keys/"])
def test_others_get_the_refusal_page(client, make_premises, worker, officer, resident, path):
    enterprise = make_premises(type="enterprise", responsible_user=officer.pk)
    url = path.format(id=enterprise.pk)
    for user in (worker, officer, resident):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, _form()).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert not EnterpriseKey.objects.exists() and Premises.objects.count() == 1


def test_a_dispatcher_revokes_a_key_which_stops_working_at_once(client, boss, worker, make_premises):
    from hazards.premises.alerts.services import enterprise_key_issue

    enterprise = make_premises(type="enterprise")
    other = make_premises(type="enterprise")
    key, raw = enterprise_key_issue(premises_id=enterprise.pk, name="旧网关")
    client.force_login(worker)
    assert client.post(f"/premises/{enterprise.pk}/keys/{key.pk}/revoke/").status_code == 403
    client.force_login(boss)
    assert client.get(f"/premises/{enterprise.pk}/keys/{key.pk}/revoke/").status_code == 405
    with translation.override("zh-hans"):
        wrong = client.post(f"/premises/{other.pk}/keys/{key.pk}/revoke/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "该企业没有这个密钥" in wrong.content.decode()
    assert api_client_for_key(raw) is not None  # another enterprise's page cannot revoke it
    response = client.post(f"/premises/{enterprise.pk}/keys/{key.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == f"/premises/{enterprise.pk}/keys/"
    assert api_client_for_key(raw) is None
    alert = {"sensor_id": "T-1", "metric": "temperature", "value": 99, "threshold": 80}
    refused = APIClient().post("/api/v1/alerts/", alert, format="json", HTTP_X_API_KEY=raw)
    assert refused.status_code == 401
    page = client.get(f"/premises/{enterprise.pk}/keys/").content.decode()
    assert f"/keys/{key.pk}/revoke/" not in page  # nothing left to revoke
