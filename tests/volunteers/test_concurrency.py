"""Races against real PostgreSQL with real threads (CI's services pass): dispatch retrying a service
record, two dispatchers deciding on one application, a double-submitted application."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from govern.errors import Conflict, DomainError
from govern.roles import ALL_ROLES, DISPATCHER, RESIDENT
from tests.factories import CommunityFactory, UserFactory
from volunteers import service_records, services
from volunteers.models import ServiceRecord, Volunteer, VolunteerStatusChange

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def race(n: int, fn) -> list:
    """Run fn(i) in n threads released together; return each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def setup(db):
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    community = CommunityFactory()
    user = UserFactory(roles=[RESIDENT])
    volunteer = services.volunteer_apply(actor=user, real_name="并发", phone="13900009999", community_id=community.pk)
    return volunteer, community


def test_concurrent_service_record_create_credits_once(setup):
    volunteer, _community = setup
    services.volunteer_approve(volunteer_id=volunteer.pk, actor=UserFactory(roles=[DISPATCHER]))
    results = race(
        6,
        lambda i: service_records.service_record_create(
            volunteer_user_id=volunteer.user_id, minutes=25, source_ref="task:777", note=f"attempt {i}"
        ),
    )
    assert all(isinstance(r, ServiceRecord) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert ServiceRecord.objects.filter(source_ref="task:777").count() == 1
    assert Volunteer.objects.get(pk=volunteer.pk).service_minutes == 25


def test_two_dispatchers_approving_at_once_one_wins(setup):
    volunteer, _community = setup
    dispatchers = [UserFactory(roles=[DISPATCHER]) for _ in range(4)]
    results = race(4, lambda i: services.volunteer_approve(volunteer_id=volunteer.pk, actor=dispatchers[i]))
    winners = [r for r in results if isinstance(r, Volunteer)]
    assert len(winners) == 1 and all(isinstance(r, Conflict) for r in results if r not in winners), results
    assert VolunteerStatusChange.objects.filter(volunteer=volunteer, to_status="approved").count() == 1


def test_double_submitted_application_keeps_one_profile(db):
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    community = CommunityFactory()
    user = UserFactory(roles=[RESIDENT])
    results = race(
        3,
        lambda i: services.volunteer_apply(
            actor=user, real_name="重复", phone=f"1390000{i:04d}", community_id=community.pk
        ),
    )
    created = [r for r in results if isinstance(r, Volunteer)]
    assert len(created) == 1 and all(isinstance(r, DomainError) for r in results if r not in created), results
    assert Volunteer.objects.filter(user=user).count() == 1
