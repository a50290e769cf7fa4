"""The invariants the database itself enforces (SQLite ignores row locks; constraints still hold)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import UserFactory
from tests.volunteers.conftest import HOME
from volunteers.models import AvailabilitySlot, ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db


def violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_profile_constraints(make_volunteer, community):
    pending = make_volunteer(status="pending")
    approved = make_volunteer()
    now = timezone.now()
    q = Volunteer.objects.filter
    # one profile per user, one per mobile
    assert violates(
        lambda: Volunteer.objects.create(user=pending.user, real_name="x", phone="13000000000", community=community)
    )
    assert violates(
        lambda: Volunteer.objects.create(user=UserFactory(), real_name="x", phone=pending.phone, community=community)
    )
    # on duty only when approved, and only with a complete position; no position off duty
    assert violates(
        lambda: q(pk=pending.pk).update(on_duty=True, latitude=HOME[0], longitude=HOME[1], position_updated_at=now)
    )
    assert violates(lambda: q(pk=approved.pk).update(on_duty=True))
    assert violates(lambda: q(pk=approved.pk).update(latitude=HOME[0], longitude=HOME[1], position_updated_at=now))
    assert violates(
        lambda: q(pk=approved.pk).update(on_duty=True, latitude=95, longitude=HOME[1], position_updated_at=now)
    )
    assert not violates(
        lambda: q(pk=approved.pk).update(on_duty=True, latitude=HOME[0], longitude=HOME[1], position_updated_at=now)
    )
    # a leader belongs to a team; task limit 1..20
    assert violates(lambda: q(pk=approved.pk).update(is_team_leader=True))
    assert violates(lambda: q(pk=approved.pk).update(max_active_tasks=0))


def test_service_record_and_availability_constraints(make_volunteer):
    volunteer = make_volunteer()
    today = timezone.localdate()
    base = {"volunteer": volunteer, "served_on": today, "minutes": 30}
    assert violates(lambda: ServiceRecord.objects.create(**base, source="task", status="approved"))  # no source_ref
    assert violates(
        lambda: ServiceRecord.objects.create(
            **{**base, "minutes": 0}, source="task", source_ref="t:0", status="approved"
        )
    )
    assert violates(lambda: ServiceRecord.objects.create(**base, source="task", source_ref="t:1", status="pending"))
    assert violates(lambda: ServiceRecord.objects.create(**base, source="manual", status="approved"))  # no reviewer
    assert violates(
        lambda: ServiceRecord.objects.create(
            **base, source="manual", status="approved", submitted_by=volunteer.user, reviewed_by=volunteer.user
        )
    )
    ServiceRecord.objects.create(**base, source="task", source_ref="t:2", status="approved")
    assert violates(lambda: ServiceRecord.objects.create(**base, source="task", source_ref="t:2", status="approved"))
    import datetime as dt

    assert violates(
        lambda: AvailabilitySlot.objects.create(
            volunteer=volunteer, weekday=0, start_time=dt.time(9), end_time=dt.time(10)
        )
    )
    assert violates(
        lambda: AvailabilitySlot.objects.create(
            volunteer=volunteer, weekday=1, start_time=dt.time(10), end_time=dt.time(9)
        )
    )
