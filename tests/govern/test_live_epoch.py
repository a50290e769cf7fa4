"""Stream epochs (govern.live_epoch): after a restore, ids handed out a second time never reach a
client as if they were the ones it saw; every position of an older epoch resyncs."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.db import connection

from govern import live_access
from govern.live import DISPATCH_TOPIC, current_event_id, pruned_through
from govern.live_epoch import EPOCH_BITS, check_database_identity, epoch_of, start_new_epoch
from govern.models import LiveEvent, LiveOutboxState
from govern.roles import DISPATCHER
from tests.factories import UserFactory
from tests.govern.live_helpers import (
    apublish,
    ensure_roles,
    fresh_channel_layer,
    open_socket,
    publish_now,
    quiet,
    receive_events,
    token_for,
)

BASE = 1 << EPOCH_BITS


@pytest.fixture(autouse=True)
def _ids_back_in_epoch_zero():
    """Flushing tables does not reset sequences: put the ids back where other tests expect them."""
    yield
    table = LiveEvent._meta.db_table
    LiveEvent.objects.all().delete()
    LiveOutboxState.objects.all().delete()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1, false)", [table])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = 0 WHERE name = %s", [table])


def _notice(n: int) -> int:
    return publish_now([DISPATCH_TOPIC], "system.notice", {"text": f"n{n}", "level": "info", "sender": None})


@pytest.mark.django_db(transaction=True)
def test_a_new_epoch_makes_older_positions_resync_and_ids_continue_above_them():
    seen = [_notice(n) for n in range(3)]
    assert epoch_of(seen[-1]) == 0

    assert start_new_epoch(reason="test") == 1
    assert pruned_through() == BASE and current_event_id() == BASE
    assert not LiveEvent.objects.filter(id__lte=BASE).exists()  # the old history can never replay

    fresh = _notice(3)
    assert fresh == BASE + 1 and epoch_of(fresh) == 1
    # A client of the lost history, whatever its position (behind, at, or past the old head): resync.
    for position in (seen[0], seen[-1], seen[-1] + 30):
        batch = live_access.read_after({DISPATCH_TOPIC}, position)
        assert batch.resync and batch.head == fresh, position
    # A page rendered after the restore stands at the epoch's base: it replays, no resync.
    batch = live_access.read_after({DISPATCH_TOPIC}, BASE)
    assert not batch.resync and [m["id"] for m in batch.events] == [fresh]

    assert start_new_epoch(reason="again") == 2
    assert _notice(4) == 2 * BASE + 1


@pytest.mark.django_db(transaction=True)
def test_the_management_command_starts_an_epoch(capsys):
    _notice(1)
    call_command("live_new_epoch", reason="drill")
    assert "epoch 1" in capsys.readouterr().out
    assert pruned_through() == BASE


@pytest.mark.django_db(transaction=True)
def test_migrate_on_a_copy_of_the_database_starts_an_epoch():
    """What migrate checks afterwards: the recorded database identity against the current one."""
    _notice(1)
    if connection.vendor != "postgresql":
        assert check_database_identity() is None  # SQLite: a copied file has nothing to tell it apart
        return
    assert check_database_identity() is None  # recorded (or the same): nothing happens
    assert check_database_identity() is None
    LiveOutboxState.objects.filter(pk=1).update(database_identity="pg-oid:1")  # as in the original's dump
    assert check_database_identity() == 1
    assert pruned_through() == BASE
    assert LiveOutboxState.objects.get(pk=1).database_identity.startswith("pg-oid:")
    assert check_database_identity() is None


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_connected_socket_of_the_old_epoch_is_told_to_resync():
    fresh_channel_layer()
    await database_sync_to_async(ensure_roles)()
    dispatcher = await database_sync_to_async(UserFactory)(roles=[DISPATCHER])
    key = await database_sync_to_async(token_for)(dispatcher)
    first = await apublish([DISPATCH_TOPIC], "system.notice", {"text": "a", "level": "info", "sender": None})
    socket = await open_socket(f"token={key}&last_event_id={first}")
    assert await quiet(socket)
    second = await apublish([DISPATCH_TOPIC], "system.notice", {"text": "b", "level": "info", "sender": None})
    assert [m["id"] for m in await receive_events(socket, 1)] == [second]

    await database_sync_to_async(start_new_epoch)(reason="restore under a live server")
    third = await apublish([DISPATCH_TOPIC], "system.notice", {"text": "c", "level": "info", "sender": None})
    assert third == BASE + 1
    # The live message's prev (0: the table was empty) would pass it straight through; its epoch
    # differs from the socket's cursor, so the socket reads the outbox and answers resync instead.
    assert await socket.receive_json_from(timeout=5) == {"type": "resync", "last_event_id": third}
    fourth = await apublish([DISPATCH_TOPIC], "system.notice", {"text": "d", "level": "info", "sender": None})
    assert [m["id"] for m in await receive_events(socket, 1)] == [fourth]
    await socket.disconnect()
    fresh_channel_layer()
