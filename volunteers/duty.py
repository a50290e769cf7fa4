"""Being on duty: approved volunteers go on and off duty with their position; a beat job takes the
silent ones off. Positions are for dispatchers only (the owner's copy of an event carries none).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, NotFound
from govern.geo import haversine_m
from govern.live import DISPATCH_TOPIC, publish, user_topic
from govern.models import User
from volunteers import conf
from volunteers.clean import clean_position
from volunteers.models import Volunteer, VolunteerStatus
from volunteers.payloads import duty_dispatch_payload, duty_payload, position_payload


def clear_duty(volunteer: Volunteer, now) -> None:
    """Off duty, position forgotten (the caller saves the row)."""
    volunteer.on_duty = False
    volunteer.duty_changed_at = now
    volunteer.latitude = volunteer.longitude = volunteer.position_updated_at = None


def publish_duty(volunteer: Volunteer, *, reason: str = "") -> None:
    owner = duty_payload(volunteer, reason=reason)
    publish([user_topic(volunteer.user_id)], "volunteer.duty_changed", owner)
    publish([DISPATCH_TOPIC], "volunteer.duty_changed", duty_dispatch_payload(volunteer, owner))


@transaction.atomic
def volunteer_duty_set(
    *, actor: User, on_duty: bool, latitude: float | None = None, longitude: float | None = None, now=None
) -> Volunteer:
    """Go on duty (approved volunteers only, with a position), update the position while on duty, or
    go off duty (the position is forgotten). Publishes duty/position events for the back-office map."""
    now = now or timezone.now()
    volunteer = Volunteer.objects.select_for_update().filter(user_id=actor.pk).first()
    if volunteer is None:
        raise NotFound(_("You have no volunteer profile yet: apply first."))
    if not on_duty:
        if volunteer.on_duty:
            clear_duty(volunteer, now)
            volunteer.save()
            publish_duty(volunteer)
        return volunteer
    if volunteer.status != VolunteerStatus.APPROVED:
        raise Conflict(
            _("Only approved volunteers can go on duty; your status is %(status)s.")
            % {"status": VolunteerStatus(volunteer.status).label},
            code="not_approved",
        )
    latitude, longitude = clean_position(latitude, longitude)
    was_on_duty = volunteer.on_duty
    previous = (volunteer.latitude, volunteer.longitude, volunteer.position_updated_at)
    volunteer.on_duty = True
    volunteer.latitude, volunteer.longitude, volunteer.position_updated_at = latitude, longitude, now
    if not was_on_duty:
        volunteer.duty_changed_at = now
    volunteer.save()
    if not was_on_duty:
        publish_duty(volunteer)
    elif _position_worth_publishing(previous, latitude, longitude, now):
        publish([DISPATCH_TOPIC], "volunteer.position_changed", position_payload(volunteer))
    return volunteer


def volunteers_duty_expire_silent(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Take off duty every volunteer whose last position is older than conf.duty_silence_timeout().

    Beat job. Each batch is one transaction that locks its rows in primary-key order and re-checks
    the condition under the lock, so a heartbeat that lands meanwhile keeps its volunteer on duty.
    Publishes `volunteer.duty_changed` with reason "silent" to the volunteer and the dispatchers.
    Returns how many volunteers went off duty.
    """
    now = now or timezone.now()
    cutoff = now - conf.duty_silence_timeout()
    silent = Volunteer.objects.filter(on_duty=True, position_updated_at__lt=cutoff)
    expired = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(silent.filter(pk__gt=last_id).select_for_update().order_by("pk")[:batch_size])
            for volunteer in batch:
                clear_duty(volunteer, now)
                volunteer.save(
                    update_fields=["on_duty", "duty_changed_at", "latitude", "longitude", "position_updated_at"]
                )
                publish_duty(volunteer, reason="silent")
        if not batch:
            return expired
        expired += len(batch)
        last_id = batch[-1].pk


def _position_worth_publishing(previous, latitude: float, longitude: float, now) -> bool:
    old_lat, old_lng, old_at = previous
    if old_lat is None or old_at is None:
        return True
    if haversine_m(old_lat, old_lng, latitude, longitude) >= conf.position_event_min_move_m():
        return True
    return now - old_at >= conf.position_event_min_interval()
