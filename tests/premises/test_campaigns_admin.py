"""Checklists are admin-editable (items inline); campaigns are read there and started/closed by
actions that call the services; the default checklists seed idempotently."""

from __future__ import annotations

import pytest

from hazards.models import Category
from hazards.premises.campaigns.demo import CHECKLISTS, seed_checklists
from hazards.premises.campaigns.services import campaign_create
from hazards.premises.models import Campaign, Checklist, ChecklistItem
from tests.factories import UserFactory
from tests.premises.campaign_helpers import ensure_types, make_premises

pytestmark = pytest.mark.django_db


def test_default_checklists_seed_once_and_keep_admin_edits(db):
    ensure_types()
    assert seed_checklists() == sum(len(items) for _z, _e, items in CHECKLISTS.values())
    restaurant = Checklist.objects.get(premises_type__slug="restaurant", active=True)
    texts = list(restaurant.items.order_by("order").values_list("text_en", flat=True))
    assert texts[:3] == [
        "Gas cylinders stored safely: within the limit, upright, secured, away from flames",
        "Gas alarm installed and working",
        "Wiring safe: no improvised lines or overloaded power strips",
    ]
    assert any("Fume purifier" in t for t in texts) and any("Exits" in t for t in texts)
    ChecklistItem.objects.filter(checklist=restaurant, order=10).update(text="改过的")
    assert seed_checklists() == 0
    assert ChecklistItem.objects.get(checklist=restaurant, order=10).text == "改过的"


def test_admin_edits_a_checklist_with_its_items_inline(client, campaign_checklists):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    checklist = Checklist.objects.get(premises_type__slug="restaurant")
    assert client.get("/admin/premises/checklist/").status_code == 200
    page = client.get(f"/admin/premises/checklist/{checklist.pk}/change/")
    assert page.status_code == 200 and "items-TOTAL_FORMS" in page.content.decode()
    items = list(checklist.items.order_by("order", "id"))
    gas = Category.objects.get(slug="gas-safety")
    data = {
        "premises_type": checklist.premises_type_id,
        "name": checklist.name,
        "name_en": checklist.name_en,
        "active": "on",
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        "items-TOTAL_FORMS": str(len(items) + 1),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items + [None]):
        prefix = f"items-{index}-"
        if item is None:
            data.update(
                {
                    prefix + "order": "99",
                    prefix + "text": "燃气软管无老化",
                    prefix + "text_en": "Gas hose not worn",
                    prefix + "category": gas.pk,
                    prefix + "severity": "high",
                    prefix + "photo_required": "on",
                    prefix + "active": "on",
                    prefix + "checklist": checklist.pk,
                }
            )
        else:
            data.update(
                {
                    prefix + "id": item.pk,
                    prefix + "checklist": checklist.pk,
                    prefix + "order": item.order,
                    prefix + "text": item.text,
                    prefix + "text_en": item.text_en,
                    prefix + "category": item.category_id,
                    prefix + "severity": item.severity,
                    prefix + "active": "on",
                }
            )
            if item.photo_required:
                data[prefix + "photo_required"] = "on"
    response = client.post(f"/admin/premises/checklist/{checklist.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert checklist.items.filter(text_en="Gas hose not worn", category=gas, severity="high").exists()


def test_campaign_admin_starts_campaigns_through_the_service(
    client, campaign_checklists, campaign_office, campaign_area
):
    make_premises(campaign_area["west"])
    campaign = campaign_create(actor=campaign_office, name="x", grid_ids=[campaign_area["west"].pk])
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/premises/campaign/").status_code == 200
    assert client.get(f"/admin/premises/campaign/{campaign.pk}/change/").status_code == 200
    response = client.post(
        "/admin/premises/campaign/", {"action": "activate_selected", "_selected_action": [campaign.pk]}
    )
    assert response.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).status == "active"
    assert client.get("/admin/premises/inspectionresult/").status_code == 200


def test_seed_demo_adds_one_demo_campaign_over_the_demo_register(campaign_media):
    from django.core.management import call_command

    from govern.models import Grid, User
    from hazards.premises.models import Premises

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent: still one campaign, nothing assigned twice
    assert Checklist.objects.filter(active=True).count() == len(CHECKLISTS)
    campaign = Campaign.objects.get()
    grid1 = User.objects.get(username="grid1")
    restaurants = Premises.objects.filter(grid=Grid.objects.get(code="lili-1"), type__slug="restaurant", active=True)
    assert (
        campaign.status == "active" and campaign.premises_total == campaign.premises_assigned == restaurants.count() > 0
    )
    assert set(campaign.entries.values_list("inspector_id", flat=True)) == {grid1.pk}
