"""Issue 21 items 7 and 8: a merge's public note names no other report; sign-up's `next` stays on
this site."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SIGNUP = {"phone": "13812345678", "password1": "S3cure-pass-xyz", "password2": "S3cure-pass-xyz"}


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://testserver@evil.example/"])
def test_signup_does_not_redirect_off_site(target):
    response = Client().post(f"/accounts/signup/?next={target}", {**SIGNUP, "username": "newbie"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_signup_keeps_a_local_next():
    response = Client().post("/accounts/signup/?next=/volunteer/apply/", {**SIGNUP, "username": "newbie"})
    assert response.status_code == 302 and response["Location"] == "/volunteer/apply/"


def test_a_merged_reports_public_note_does_not_name_the_original(demo):
    """The default merge note is what the tracking page and Open311's status_notes publish."""
    from hazards.models import Hazard, Status
    from hazards.triage.services import hazard_triage

    duplicate = Hazard.objects.filter(status=Status.SUBMITTED).order_by("pk").first()
    original = Hazard.objects.filter(status__in=[Status.SUBMITTED, Status.TRIAGED]).exclude(pk=duplicate.pk).first()
    hazard_triage(hazard_id=duplicate.pk, actor=demo["dispatcher"], decision="duplicate", duplicate_of=original.pk)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLICATE and original.tracking_code not in duplicate.status_note
    response = client_for(demo["resident1"]).get(f"/open311/v2/requests/{duplicate.pk}.json")
    assert response.status_code == 200, response.content
    assert original.tracking_code.encode() not in response.content
