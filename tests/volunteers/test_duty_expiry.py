"""Volunteers whose phone went silent go off duty (the beat job volunteers.tasks.expire_silent_duty)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, user_topic
from tests.volunteers.conftest import events, last_event_id
from volunteers import duty
from volunteers.models import Volunteer
from volunteers.tasks import expire_silent_duty

LAT, LNG = 30.905, 120.805


def _silent_for(volunteer: Volunteer, minutes: int) -> None:
    Volunteer.objects.filter(pk=volunteer.pk).update(position_updated_at=timezone.now() - dt.timedelta(minutes=minutes))


@pytest.mark.django_db
def test_only_volunteers_silent_past_the_timeout_go_off_duty_with_an_event(make_volunteer, settings):
    settings.VOLUNTEER_DUTY_SILENCE_TIMEOUT = dt.timedelta(minutes=60)
    silent = make_volunteer(position=(LAT, LNG), real_name="沉默")
    quiet = make_volunteer(position=(LAT, LNG), real_name="稍静")  # greyed on the map, still on duty
    fresh = make_volunteer(position=(LAT, LNG), real_name="活跃")
    off = make_volunteer()  # never on duty
    _silent_for(silent, 61)
    _silent_for(quiet, 20)
    after = last_event_id()

    assert expire_silent_duty.delay().get() == 1

    states = dict(Volunteer.objects.values_list("pk", "on_duty"))
    assert states == {silent.pk: False, quiet.pk: True, fresh.pk: True, off.pk: False}
    silent.refresh_from_db()
    assert silent.latitude is None and silent.position_updated_at is None  # the position is forgotten
    sent = events("volunteer.duty_changed", after=after)
    assert len(sent) == 2
    assert {e.data["reason"] for e in sent} == {"silent"} and {e.data["on_duty"] for e in sent} == {False}
    topics = {t for e in sent for t in e.topics}
    assert topics == {DISPATCH_TOPIC, user_topic(silent.user_id)}
    assert duty.volunteers_duty_expire_silent() == 0  # nothing left: a second pass changes nothing


@pytest.mark.django_db
def test_expiry_walks_every_batch_and_a_heartbeat_brings_the_volunteer_back(make_volunteer, settings):
    settings.VOLUNTEER_DUTY_SILENCE_TIMEOUT = dt.timedelta(minutes=30)
    people = [make_volunteer(position=(LAT, LNG)) for _ in range(5)]
    for volunteer in people:
        _silent_for(volunteer, 45)

    assert duty.volunteers_duty_expire_silent(batch_size=2) == 5
    assert not Volunteer.objects.filter(on_duty=True).exists()

    duty.volunteer_duty_set(actor=people[0].user, on_duty=True, latitude=LAT, longitude=LNG)
    assert Volunteer.objects.get(pk=people[0].pk).on_duty
