"""Reports under contention, with real threads against PostgreSQL (CI's services pass).

A report commits its duplicate suggestion, which names the open hazard nearby; PostgreSQL checks
that (deferred) foreign key at COMMIT with FOR KEY SHARE on the nearby hazard, after the report
took the publish lock. A service that had locked that hazard FOR UPDATE and wanted the publish
lock next (photo processing, triage) closed a circle: PostgreSQL aborted one of the two, and a
resident's report was lost. The hazard locks are FOR NO KEY UPDATE now (no conflict with KEY
SHARE), and a transaction aborted by a deadlock runs again (govern.db_retry)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.db import connection, transaction

from govern.live import serialise_commit_order
from hazards.core.locks import lock_hazard
from hazards.models import Hazard, SuggestionKind, TriageSuggestion
from tests.hazards.conftest import Heard

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _in_thread(work, results: dict, key: str) -> threading.Thread:
    def run():
        try:
            results[key] = work()
        except Exception as exc:  # reported by the test's assertions
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _waiting_for_a_lock(timeout: float) -> bool:
    """Whether some other backend is waiting for a lock (PostgreSQL's own view of it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def _locker(hazard_id: int, *, locked: threading.Event, go_on: threading.Event, lock) -> None:
    """Lock the hazard with `lock`, wait, then take the publish lock (as photo processing does)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Never this transaction's own deadlock check first: the report is the one to abort.
            cursor.execute("SET LOCAL deadlock_timeout = '30s'")
        lock(hazard_id)
        locked.set()
        go_on.wait(20)
        serialise_commit_order()


def test_a_report_nearby_commits_while_the_hazard_is_locked(make_hazard):
    """The lock order: the report never waits for a hazard a service holds (NO KEY UPDATE)."""
    nearby = make_hazard(seed=1)
    locked, go_on, results = threading.Event(), threading.Event(), {}
    locker = _in_thread(lambda: _locker(nearby.pk, locked=locked, go_on=go_on, lock=lock_hazard), results, "locker")
    assert locked.wait(10)
    reporter = _in_thread(lambda: make_hazard(seed=2), results, "report")
    reporter.join(timeout=10)
    committed_while_locked = not reporter.is_alive()
    go_on.set()
    reporter.join(timeout=30)
    locker.join(timeout=30)
    assert committed_while_locked, "the report waited for the nearby hazard's row lock"
    assert isinstance(results["report"], Hazard), results
    assert not isinstance(results.get("locker"), Exception), results
    assert TriageSuggestion.objects.filter(
        hazard=results["report"], kind=SuggestionKind.NEARBY, similar_hazard_id=nearby.pk
    ).exists()


def test_a_report_aborted_by_a_deadlock_runs_again(make_hazard):
    """The retry: a locker in the old order (FOR UPDATE, then the publish lock) makes a real
    deadlock; PostgreSQL aborts the report, which runs again and commits."""

    def for_update(hazard_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM hazards_hazard WHERE id = %s FOR UPDATE", [hazard_id])

    nearby = make_hazard(seed=3)
    locked, go_on, results = threading.Event(), threading.Event(), {}
    locker = _in_thread(lambda: _locker(nearby.pk, locked=locked, go_on=go_on, lock=for_update), results, "locker")
    assert locked.wait(10)
    retries = Heard(logging.WARNING)
    logging.getLogger("govern.db_retry").addHandler(retries)
    reporter = _in_thread(lambda: make_hazard(seed=4), results, "report")
    # The report holds the publish lock and waits at COMMIT for the hazard: now close the circle.
    assert _waiting_for_a_lock(10), "the report never waited for the hazard locked FOR UPDATE"
    go_on.set()
    try:
        reporter.join(timeout=60)
        locker.join(timeout=60)
    finally:
        logging.getLogger("govern.db_retry").removeHandler(retries)
    assert isinstance(results["report"], Hazard), results
    assert not isinstance(results.get("locker"), Exception), results
    messages = [r.getMessage() for r in retries.records]
    assert messages and "report intake: deadlock (SQLSTATE 40P01)" in messages[0], messages
    assert Hazard.objects.count() == 2
