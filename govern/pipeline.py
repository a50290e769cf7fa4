"""Several statements in one round trip (psycopg pipeline mode) for the short windows where a
transaction holds a lock that others queue for.

While a transaction holds a contended row lock (a coupon's stock) or the publish lock (every
publisher's), each statement's round trip is a wait for everybody queued behind it; on a busy
machine a round trip costs a scheduling delay as well as the network. Inside `pipelined()` the
statements are sent without waiting for each answer; the first result the code reads (or the end
of the block) collects them all. Statements still run in order, in the caller's transaction; an
error in any of them is raised there and fails the transaction as usual.

Not PostgreSQL (SQLite in embedded mode): the block runs statement by statement, same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import CURSOR


@contextmanager
def pipelined() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # A statement's error can surface when the pipeline syncs at the end of the block, outside
    # any Django cursor call: translate it as Django's cursors do (IntegrityError, ...).
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


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
