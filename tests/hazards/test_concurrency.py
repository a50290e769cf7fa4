"""Races on one hazard, with real threads against PostgreSQL (CI's services pass)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from govern.errors import Conflict, InvalidInput
from hazards.core.lifecycle import hazard_transition
from hazards.models import HazardEvent, Status
from hazards.triage.services import hazard_triage

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def role_groups():
    """Transactional tests flush tables, including the role groups a data migration made; an
    earlier transactional test (a browser test, say) may have emptied them. Put them back."""
    from django.contrib.auth.models import Group

    from govern.roles import ALL_ROLES

    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


def _race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[index] = "ok"
        except Conflict:
            outcomes[index] = "conflict"
        except InvalidInput:
            outcomes[index] = "invalid"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_dispatchers_accepting_at_once_one_wins_one_gets_409(make_hazard, dispatcher, grid_worker):
    hazard = make_hazard()
    outcomes = _race(
        [
            lambda: hazard_triage(hazard_id=hazard.pk, actor=dispatcher, decision="accept", severity="critical"),
            lambda: hazard_triage(hazard_id=hazard.pk, actor=grid_worker, decision="accept", severity="low"),
        ]
    )
    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    assert HazardEvent.objects.filter(hazard=hazard).count() == 2  # submitted + exactly one triage


def test_concurrent_transitions_never_skip_the_table(make_hazard, dispatcher):
    hazard = make_hazard()
    hazard_transition(hazard_id=hazard.pk, actor=dispatcher, to_status=Status.TRIAGED)
    outcomes = _race(
        [
            lambda: hazard_transition(hazard_id=hazard.pk, actor=dispatcher, to_status=Status.DISPATCHED),
            lambda: hazard_transition(hazard_id=hazard.pk, actor=dispatcher, to_status=Status.DISPATCHED),
            lambda: hazard_transition(hazard_id=hazard.pk, actor=dispatcher, to_status=Status.REJECTED),
        ]
    )
    assert outcomes.count("ok") == 1 and outcomes.count("conflict") == 2, outcomes
    statuses = list(HazardEvent.objects.filter(hazard=hazard).order_by("id").values_list("from_status", "to_status"))
    assert len(statuses) == 3 and statuses[2][0] == "triaged"


def test_merging_a_pair_in_opposite_directions_does_not_deadlock(make_hazard, dispatcher):
    a, b = make_hazard(), make_hazard()
    outcomes = _race(
        [
            lambda: hazard_triage(hazard_id=a.pk, actor=dispatcher, decision="duplicate", duplicate_of=b.pk),
            lambda: hazard_triage(hazard_id=b.pk, actor=dispatcher, decision="duplicate", duplicate_of=a.pk),
        ]
    )
    # The loser finds its "original" is now a duplicate of itself (or no longer mergeable).
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "invalid", "conflict"}, outcomes
    a.refresh_from_db()
    b.refresh_from_db()
    assert sorted([a.status, b.status]) == ["duplicate", "submitted"]
