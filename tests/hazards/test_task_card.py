"""The task card fit for the field (issue 18): the hazard's photos and full description for the
assignee, the reporter's phone for a grid worker always and for a volunteer only with the
reporter's consent (once they hold the work), navigation links that say the position is WGS-84,
and the tracking code linking to the tracking page."""

from __future__ import annotations

import pytest
from django.test import Client

from hazards.dispatch import services as dispatch
from hazards.models import Hazard

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


def card_html(user) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/tasks/").content.decode()


def test_a_volunteer_sees_the_phone_only_with_consent(triaged, on_duty, boss):
    hazard = triaged()
    Hazard.objects.filter(pk=hazard.pk).update(contact_phone="13812345678", description="楼道" * 120)
    volunteer = on_duty(NEAR)
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=volunteer.user_id).tasks[0]
    offered = card_html(volunteer.user)
    assert "13812345678" not in offered  # not before accepting, and no consent anyway
    assert "楼道" * 120 in offered  # the full description
    assert 'class="tk-thumb"' in offered  # the report's photo
    assert f'href="/track/{hazard.tracking_code}/"' in offered
    assert "coordinate=wgs84" in offered and "coord_type=wgs84" in offered and "coord_type=1" in offered
    dispatch.task_accept(task_id=task.pk, actor=volunteer.user)
    assert "13812345678" not in card_html(volunteer.user)
    Hazard.objects.filter(pk=hazard.pk).update(contact_consent=True)
    assert 'href="tel:13812345678"' in card_html(volunteer.user)


def test_a_grid_worker_sees_the_phone_once_accepted(triaged, boss, grid_worker):
    hazard = triaged()
    Hazard.objects.filter(pk=hazard.pk).update(contact_phone="13812345678")
    task = dispatch.task_dispatch(hazard_id=hazard.pk, actor=boss, assignee_id=grid_worker.pk).tasks[0]
    dispatch.task_accept(task_id=task.pk, actor=grid_worker)
    assert 'href="tel:13812345678"' in card_html(grid_worker)
