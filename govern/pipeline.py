"""Several statements in one round trip (psycopg pipeline mode) for the short windows where a
transaction holds a lock that others queue for.

While a transaction holds a contended row lock (a coupon's stock) or the publish lock (every
publisher's), each statement's round trip is a wait for everybody queued behind it; on a busy
machine a round trip costs a scheduling delay as well as the network. Inside `pipelined()` the
statements are sent without waiting for each answer; the first result the code reads (or the end
of the block) collects them all. Statements still run in order, in the caller's transaction; an
error in any of them is raised there and fails the transaction as usual.

`atomic_pipelined()` puts a whole transaction in a pipeline, so its COMMIT leaves with its last
statements (a report: the publish lock, the events and the COMMIT in one message). It pays only
where the code holds a contended lock across round trips: pipeline mode costs some CPU per
statement (a redemption pipelined whole was slower, bench/redemption.py says how much).

Not PostgreSQL (SQLite in embedded mode): the block runs statement by statement, same results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import CURSOR

logger = logging.getLogger(__name__)


@contextmanager
def pipelined() -> Iterator[None]:
    """Statements sent without waiting for their answers (see `atomic_pipelined()` for a whole
    transaction, COMMIT included).

    Only for code whose every statement is known: inside the block Django's `save()` of an
    existing row and `QuerySet.update()` / `delete()` read a row count that is not known yet
    (use `update_later()` and `insert_later()`); reads (`get()`, iteration, `create()`'s
    RETURNING) work and sync what was queued before them.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    outer = getattr(connection, "_govern_pipeline", None), getattr(connection, "_govern_pipeline_readers", None)
    readers: list[Callable[[], object]] = []
    try:
        # A statement's error can surface when the pipeline syncs at the end of the block, outside
        # any Django cursor call: translate it as Django's cursors do (IntegrityError, ...).
        with connection.wrap_database_errors, connection.connection.pipeline() as pipeline:
            connection._govern_pipeline, connection._govern_pipeline_readers = pipeline, readers
            yield
    finally:
        connection._govern_pipeline, connection._govern_pipeline_readers = outer
    for read in readers:  # the block ended with a sync: every answer is in
        read()


@contextmanager
def atomic_pipelined() -> Iterator[None]:
    """`transaction.atomic()` inside `pipelined()`: its statements, and its COMMIT with the last
    of them, travel in as few round trips as possible.

    After a failed statement PostgreSQL's pipeline refuses everything until it is synced, the
    ROLLBACK TO SAVEPOINT of an inner atomic block included: the pipeline is synced before the
    failure reaches the atomic block, so the rollback goes through.
    """
    with pipelined(), transaction.atomic():
        try:
            yield
        except BaseException:
            _sync_after_failure()
            raise


def _sync_after_failure() -> None:
    pipeline = getattr(connection, "_govern_pipeline", None)
    if pipeline is None:  # not PostgreSQL
        return
    try:
        pipeline.sync()
    except Exception:  # the failure already being raised is the one that matters
        logger.debug("pipeline sync after a failure", exc_info=True)


def read_after_sync(read: Callable[[], object]) -> None:
    """Call `read` (which reads a queued statement's answer) at the end of the `pipelined()`
    block, unless something reads it first; at once outside a pipeline."""
    readers = getattr(connection, "_govern_pipeline_readers", None)
    if readers is None:
        read()
    else:
        readers.append(read)


def update_later(queryset: QuerySet, **values) -> Callable[[], int]:
    """`queryset.update(**values)` that does not wait for its row count inside `pipelined()`.

    Returns a function giving the number of rows updated; call it after something has read a
    result (or after the block). `QuerySet.update()` reads the count at once, which in a
    pipeline is not known yet.
    """
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    cursor = query.get_compiler(queryset.db).execute_sql(CURSOR)

    def rowcount() -> int:
        if not hasattr(cursor, "rowcount"):  # a filter that can match nothing: no statement was sent
            return 0
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    return rowcount


def insert_later(objs: Sequence[Model]) -> None:
    """`bulk_create(objs)` that does not read back primary keys, so inside `pipelined()` the
    INSERT waits for nothing: it travels with the next statement whose result is read.

    For rows nothing reads again in the same request (timeline events, triage suggestions): the
    instances keep pk None. Field defaults and auto_now(_add) values are filled in as by save().
    A constraint violation is raised at the next read, or at the end of the block.
    """
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and not (f.primary_key and f.auto_created)]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_later")
    # QuerySet._insert is what Model.save() and bulk_create() call; without returning_fields it
    # executes the INSERT and reads nothing.
    model._base_manager._insert(objs, fields=fields, using=connection.alias)
