"""Stream epochs: live-event ids carry the history they belong to.

An event id is `epoch << EPOCH_BITS | n`. Every install starts in epoch 0 (ids 1, 2, 3, … as
always). When the database is restored from a backup, the ids after the backup are handed out a
second time for other events: a client that had seen id 450 of the lost history would resume
after 450 and silently miss the new 421–450. Starting a new epoch makes every position handed out
before it stale: under the publish lock the prune mark is raised to the new epoch's base and the
id sequence continues above it, so a client resuming from an older epoch stands below the mark
and is told to resync (docs/events.md §5) — a page reloads — while new ids stay above every old
one (live.js drops nothing it should show).

A new epoch starts
- after `manage.py migrate` on a database whose identity differs from the one recorded (a backup
  restored into a fresh database: every deploy and the documented restore run migrate);
- with `manage.py live_new_epoch` (a restore over the same database; the restore script runs it).
"""

from __future__ import annotations

import logging

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Greatest
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from govern.live import serialise_commit_order
from govern.models import LiveEvent, LiveOutboxState

logger = logging.getLogger(__name__)

# 2^40 ids per epoch (a million events a day for 3,000 years) and 2^12 epochs stay below 2^53, the
# integers JavaScript holds exactly.
EPOCH_BITS = 40


def epoch_of(event_id: int) -> int:
    return int(event_id) >> EPOCH_BITS


def epoch_base(epoch: int) -> int:
    """The last id before the epoch's first event (its prune mark)."""
    return epoch << EPOCH_BITS


def database_identity() -> str:
    """What tells this database apart from a copy restored elsewhere ('' where nothing does)."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        return f"pg-oid:{cursor.fetchone()[0]}"


def _continue_ids_after(last_id: int) -> None:
    table = LiveEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, true)", [table, last_id])
        elif connection.vendor == "sqlite":
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last_id, table])
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last_id])
        else:  # pragma: no cover - govern runs on PostgreSQL and SQLite
            raise NotImplementedError(connection.vendor)


def current_epoch() -> int:
    newest = LiveEvent.objects.aggregate(newest=Max("id"))["newest"] or 0
    mark = LiveOutboxState.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0
    return epoch_of(max(newest, mark))


def start_new_epoch(*, reason: str) -> int:
    """Make every position handed out so far stale; returns the new epoch."""
    from govern.live_services import delete_events_through

    with transaction.atomic():
        serialise_commit_order()  # no event is written while the ids move on
        epoch = current_epoch() + 1
        base = epoch_base(epoch)
        LiveOutboxState.objects.get_or_create(pk=1)
        LiveOutboxState.objects.filter(pk=1).update(
            pruned_through=Greatest("pruned_through", base), database_identity=database_identity()
        )
        _continue_ids_after(base)
    # The old epoch's events can never be replayed again (every position below the mark resyncs).
    deleted = delete_events_through(base)
    logger.warning(
        "live stream epoch %s started (%s): ids continue after %s; %s old event(s) dropped, clients resync",
        epoch,
        reason,
        base,
        deleted,
    )
    return epoch


def check_database_identity() -> int | None:
    """After migrate: a database restored into a fresh one starts a new epoch (returns it)."""
    current = database_identity()
    if not current:
        return None
    state, _created = LiveOutboxState.objects.get_or_create(pk=1)
    if not state.database_identity:
        LiveOutboxState.objects.filter(pk=1).update(database_identity=current)
        return None
    if state.database_identity == current:
        return None
    return start_new_epoch(reason=f"database identity {state.database_identity} -> {current}: restored or copied")


@receiver(post_migrate)
def _after_migrate(sender, using="default", apps=None, **kwargs):
    if getattr(sender, "name", None) != "govern" or using != "default":
        return
    if apps is not None:  # migrated back to before the field existed: nothing to compare
        try:
            apps.get_model("govern", "LiveOutboxState")._meta.get_field("database_identity")
        except (LookupError, FieldDoesNotExist):
            return
    check_database_identity()
