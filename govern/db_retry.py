"""Run a transaction again when PostgreSQL aborts it for a conflict with another one.

PostgreSQL may abort a transaction that did nothing wrong: a deadlock (SQLSTATE 40P01: it waited
for a row or lock held by a transaction that waits for it) or a serialization failure (40001).
Both are decided by timing, not by the data, so running the same work again succeeds. The lock
order (hazards.core) keeps deadlocks rare; this keeps a rare one from losing a resident's report.

Use it around a function that opens its own outermost transaction (`transaction.atomic()`):
inside an outer transaction the whole outer transaction is aborted and only its owner can run it
again, so the error is raised as it is. Anything the function wrote outside the database must be
undone when it raises (govern.media.writer.PhotoWriter does that for files).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_SQLSTATES = {"40P01": "deadlock", "40001": "serialization failure"}
ATTEMPTS = 4  # one run and three more: a deadlock twice in a row is already rare


def conflict_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a retryable conflict behind `exc` (Django wraps psycopg's error), else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        state = getattr(exc, "sqlstate", None)
        if state in RETRYABLE_SQLSTATES:
            return state
        exc = exc.__cause__ or exc.__context__
    return None


def run_with_retry(work: Callable[[], T], *, what: str, attempts: int = ATTEMPTS) -> T:
    """`work()`, run again (up to `attempts` runs in all, after a short random pause) when
    PostgreSQL aborts it with a deadlock or a serialization failure. Each retry is logged at
    WARNING with `what` and the reason; the last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DatabaseError as exc:
            state = conflict_sqlstate(exc)
            if state is None or attempt == attempts or connection.in_atomic_block:
                raise
            logger.warning(
                "%s: %s (SQLSTATE %s), running it again (attempt %d of %d)",
                what,
                RETRYABLE_SQLSTATES[state],
                state,
                attempt + 1,
                attempts,
            )
            # Apart again: two transactions that met once should not meet at the same instant.
            time.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")
