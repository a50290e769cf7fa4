"""An anonymous reporter with a phone number may ask for SMS updates on the report form: the
report's status changes then go by SMS to that number (the SMS backend; no account needed), each
once however often its delivery is redelivered; no consent, no SMS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from govern.models import Notification, NotificationStatus
from govern.notify import delivery
from hazards.models import Hazard
from hazards.triage.services import hazard_triage
from tests.hazards.conftest import as_user, report_form

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def sms_to(settings, phone) -> list[dict]:
    path = Path(settings.NOTIFY_SMS_FILE)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [line for line in lines if line["phone"] == phone]


@pytest.fixture
def by_day(settings, tmp_path):
    """The site's night (22:00–07:00) would defer a phone-only recipient's SMS whenever the suite
    runs: no night here (test_a_night_report_update_waits_for_morning has one); each test its own
    SMS file."""
    settings.NOTIFY_PHONE_QUIET_HOURS = ""
    settings.NOTIFY_SMS_FILE = str(tmp_path / "sms.log")


def file_by_form(**fields) -> Hazard:
    response = Client().post("/report/", report_form(contact_phone=PHONE, **fields))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Hazard.objects.get(tracking_code=response["Location"].split("/")[2])


def test_an_anonymous_reporter_who_opts_in_gets_each_status_by_sms_once(
    categories, grid, boss, settings, by_day, django_capture_on_commit_callbacks
):
    hazard = file_by_form(sms_updates="true")
    assert hazard.sms_updates and hazard.reporter is None and hazard.contact_phone == PHONE
    with django_capture_on_commit_callbacks(execute=True):
        hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept")
    [sent] = sms_to(settings, PHONE)
    assert sent["kind"] == "report_update" and f"/track/{hazard.tracking_code}/" in sent["text"]
    row = Notification.objects.get(phone=PHONE)
    assert row.user_id is None and row.channel == "sms" and row.status == NotificationStatus.SENT
    # a redelivered message, a sweep: nothing goes twice
    assert delivery.deliver([row.pk]) == 0 and delivery.sweep() == 0
    assert len(sms_to(settings, PHONE)) == 1


def test_no_consent_no_sms(categories, grid, boss, settings, by_day, django_capture_on_commit_callbacks):
    hazard = file_by_form()
    assert not hazard.sms_updates
    with django_capture_on_commit_callbacks(execute=True):
        hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept")
    assert sms_to(settings, PHONE) == [] and not Notification.objects.filter(phone=PHONE).exists()


def test_sms_updates_need_a_mobile_number_named_in_the_answer(categories, grid, anon_en):
    page = Client().post("/report/", report_form(contact_phone="02162345678", sms_updates="true"))
    assert page.status_code == 400 and "13–19" in page.content.decode()
    response = anon_en.post("/api/v1/hazards/", report_form(contact_phone="", sms_updates="true"), format="multipart")
    assert response.status_code == 400 and "contact_phone" in json.dumps(response.json())
    assert not Hazard.objects.exists()


def test_a_signed_in_reporter_uses_their_preferences_instead(categories, grid, resident):
    response = as_user(resident).post("/api/v1/hazards/", report_form(sms_updates="true"), format="multipart")
    assert response.status_code == 201
    assert Hazard.objects.get(pk=response.json()["id"]).sms_updates is False


def test_the_checkbox_is_on_the_anonymous_form_only(categories, grid, resident):
    assert 'name="sms_updates"' in Client().get("/report/").content.decode()
    client = Client()
    client.force_login(resident)
    assert 'name="sms_updates"' not in client.get("/report/").content.decode()


def test_a_night_report_update_waits_for_the_morning(
    categories, grid, boss, settings, by_day, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    settings.NOTIFY_PHONE_QUIET_HOURS = "00:00-23:59"  # always night, whenever this runs
    hazard = file_by_form(sms_updates="true")
    with django_capture_on_commit_callbacks(execute=True):
        hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept")
    row = Notification.objects.get(phone=PHONE)
    assert row.status == NotificationStatus.PENDING and row.due_at > timezone.now()
    assert sms_to(settings, PHONE) == []
    assert delivery.sweep(now=row.due_at) == 1 and len(sms_to(settings, PHONE)) == 1
