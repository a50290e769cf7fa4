"""Issue 21 item 16: a daily cap on a volunteer's manual service minutes (4 x 720 passed for one day)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import client_for
from volunteers.models import ServiceRecord, ServiceRecordSource

pytestmark = pytest.mark.django_db

URL = "/api/v1/volunteers/me/service-records/"


def _log(api, minutes, day):
    return api.post(URL, {"minutes": minutes, "served_on": str(day), "note": "助老陪诊"}, format="json")


def test_manual_minutes_for_one_day_are_capped(demo, settings):
    settings.VOLUNTEER_MANUAL_DAILY_MAX_MINUTES = 720
    volunteer = demo["vol1"]
    day = timezone.localdate() - dt.timedelta(days=3)
    ServiceRecord.objects.filter(volunteer__user=volunteer, source=ServiceRecordSource.MANUAL, served_on=day).delete()
    api = client_for(volunteer)
    assert _log(api, 720, day).status_code == 201
    for _ in range(3):
        refused = _log(api, 720, day)
        assert refused.status_code == 400, refused.content
        assert "minutes" in refused.json()["errors"]
    assert _log(api, 1, day).status_code == 400
    # Another day has its own allowance; split entries add up against the same cap.
    other = day - dt.timedelta(days=1)
    ServiceRecord.objects.filter(volunteer__user=volunteer, source=ServiceRecordSource.MANUAL, served_on=other).delete()
    assert _log(api, 400, other).status_code == 201
    assert _log(api, 320, other).status_code == 201
    assert _log(api, 1, other).status_code == 400
    logged = ServiceRecord.objects.filter(volunteer__user=volunteer, source=ServiceRecordSource.MANUAL)
    assert sum(logged.filter(served_on=day).values_list("minutes", flat=True)) == 720


def test_a_rejected_entry_frees_its_minutes(demo, settings):
    from volunteers.service_records import service_record_reject

    settings.VOLUNTEER_MANUAL_DAILY_MAX_MINUTES = 600
    volunteer = demo["vol1"]
    day = timezone.localdate() - dt.timedelta(days=5)
    ServiceRecord.objects.filter(volunteer__user=volunteer, source=ServiceRecordSource.MANUAL, served_on=day).delete()
    api = client_for(volunteer)
    first = _log(api, 600, day)
    assert first.status_code == 201
    assert _log(api, 600, day).status_code == 400
    service_record_reject(record_id=first.json()["id"], actor=demo["dispatcher"], reason="不是志愿服务")
    assert _log(api, 600, day).status_code == 201
