"""The back-office admin: lists and pages render; the triage action goes through the service."""

from __future__ import annotations

import pytest

from govern.models import User
from hazards.models import HazardEvent, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("boss", "boss@example.org", "pw-govern-test"))
    return client


def test_admin_pages_render(admin_client, make_hazard):
    hazard = make_hazard(category="other", description="漏气了")
    for url in (
        "/admin/hazards/hazard/",
        f"/admin/hazards/hazard/{hazard.pk}/change/",
        "/admin/hazards/category/",
        "/admin/hazards/triagerule/",
        "/admin/hazards/triagerule/add/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get(f"/admin/hazards/hazard/{hazard.pk}/change/").content.decode()
    assert hazard.photos.get().thumb.url in page and "燃气泄漏 gas leak" in page


def test_admin_accept_action_calls_the_service(admin_client, make_hazard, dispatcher):
    a, b = make_hazard(), make_hazard()
    from hazards.triage.services import hazard_triage

    hazard_triage(hazard_id=b.pk, actor=dispatcher, decision="reject", note="no")
    response = admin_client.post(
        "/admin/hazards/hazard/", {"action": "accept_selected", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert response.status_code == 200
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Status.TRIAGED and b.status == Status.REJECTED
    assert HazardEvent.objects.filter(hazard=a, to_status=Status.TRIAGED).exists()


def test_admin_delete_removes_the_photo_files(
    admin_client, make_hazard, media_root, django_capture_on_commit_callbacks
):
    from hazards.models import Hazard
    from tests.hazards.conftest import stored_files

    keep, drop = make_hazard(), make_hazard()
    assert len(stored_files(media_root)) == 6
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/hazards/hazard/{drop.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert list(Hazard.objects.values_list("pk", flat=True)) == [keep.pk]
    assert len(stored_files(media_root)) == 3
