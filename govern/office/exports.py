"""CSV exports for dispatchers: hazards, tasks, service hours, the points ledger.

Each export honours the same filters as the matching list (query parameters), streams with
StreamingHttpResponse over `.iterator(chunk_size=...)` of `values_list` rows (no model instances,
no whole file in memory: bench/export_memory.py measures it flat), and starts with a UTF-8 BOM so
Excel opens Chinese text correctly. Cells that a spreadsheet would read as a formula (starting
with = + - @, tab or CR) are prefixed with an apostrophe: descriptions come from the public.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

# The one CSV writer (formula escaping, BOM, chunking) lives in govern.csv_export.
from govern.csv_export import BOM, FLUSH_ROWS, cell, csv_chunks  # noqa: F401 - re-exported

# What a person reads in the header row (govern.csv_export decides between these and the names).
HEADER_LABELS = {
    "tracking_code": _("tracking code"),
    "reported_at": _("reported at"),
    "status": _("status"),
    "severity": _("severity"),
    "category": _("category code"),
    "category_name": _("category"),
    "community": _("community"),
    "grid": _("grid"),
    "latitude": _("latitude"),
    "longitude": _("longitude"),
    "address": _("address"),
    "description": _("description"),
    "source": _("source"),
    "source_client": _("submitting organisation"),
    "reporter": _("reporter (username)"),
    "duplicate_of": _("duplicate of"),
    "status_changed_at": _("status changed at"),
    "status_note": _("status note"),
    "id": _("number"),
    "hazard_status": _("hazard status"),
    "assignee_id": _("assignee number"),
    "assignee": _("assignee (username)"),
    "assignee_kind": _("assignee kind"),
    "offered_at": _("offered at"),
    "accept_deadline": _("accept by"),
    "accepted_at": _("accepted at"),
    "accept_minutes": _("minutes to accept"),
    "started_at": _("started at"),
    "due_at": _("due at"),
    "completed_at": _("completed at"),
    "overdue": _("flagged overdue"),
    "late": _("late"),
    "verified_at": _("verified at"),
    "verified_by": _("verified by"),
    "ended_at": _("ended at"),
    "offered_by": _("offered by"),
    "distance_m": _("distance (m)"),
    "reason": _("reason"),
    "note": _("note"),
    "served_on": _("served on"),
    "volunteer_id": _("volunteer number"),
    "real_name": _("real name"),
    "team": _("team"),
    "minutes": _("minutes"),
    "hours": _("hours"),
    "source_ref": _("source reference"),
    "reviewed_by": _("reviewed by"),
    "reviewed_at": _("reviewed at"),
    "created_at": _("created at"),
    "user_id": _("user number"),
    "username": _("username"),
    "amount": _("points"),
    "kind": _("kind"),
    "source_type": _("source type"),
    "source_id": _("source number"),
    "balance_after": _("balance after"),
    "actor": _("by (username)"),
    "reverses": _("reverses entry"),
}

CHUNK_SIZE = 2000


async def as_async(chunks: Iterator[bytes], batch: int = 8):
    """Serve a sync chunk generator to an ASGI server without buffering it.

    Django's ASGI handler lists a *sync* iterator before sending it (the whole file in memory);
    an async one streams. The generator runs its queries in Django's one thread_sensitive
    thread (where the connection and any server-side cursor live), a few chunks per hop."""
    from asgiref.sync import sync_to_async

    take = sync_to_async(lambda: list(itertools.islice(chunks, batch)), thread_sensitive=True)
    try:
        while True:
            block = await take()
            if not block:
                return
            for chunk in block:
                yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()


def hazard_rows(qs: QuerySet) -> tuple[list[str], Iterator[tuple]]:
    header = [
        "tracking_code",
        "reported_at",
        "status",
        "severity",
        "category",
        "category_name",
        "community",
        "grid",
        "latitude",
        "longitude",
        "address",
        "description",
        "source",
        "source_client",
        "reporter",
        "duplicate_of",
        "status_changed_at",
        "status_note",
    ]
    rows = (
        qs.order_by("-created_at", "-id")
        .values_list(
            "tracking_code",
            "created_at",
            "status",
            "severity",
            "category__slug",
            "category__name",
            "community__name",
            "grid__name",
            "latitude",
            "longitude",
            "address",
            "description",
            "source",
            "api_client__name",
            "reporter__username",
            "duplicate_of__tracking_code",
            "status_changed_at",
            "status_note",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    return header, rows


def task_rows(qs: QuerySet) -> tuple[list[str], Iterator[tuple]]:
    header = [
        "id",
        "tracking_code",
        "hazard_status",
        "severity",
        "category",
        "community",
        "grid",
        "assignee_id",
        "assignee",
        "assignee_kind",
        "status",
        "offered_at",
        "accept_deadline",
        "accepted_at",
        "accept_minutes",
        "started_at",
        "due_at",
        "completed_at",
        "overdue",
        "late",
        "verified_at",
        "verified_by",
        "ended_at",
        "offered_by",
        "distance_m",
        "reason",
        "note",
    ]
    rows = (
        qs.order_by("-offered_at", "-id")
        .values_list(
            "id",
            "hazard__tracking_code",
            "hazard__status",
            "hazard__severity",
            "hazard__category__slug",
            "hazard__community__name",
            "hazard__grid__name",
            "assignee_id",
            "assignee__username",
            "assignee_kind",
            "status",
            "offered_at",
            "accept_deadline",
            "accepted_at",
            "started_at",
            "due_at",
            "completed_at",
            "overdue",
            "verified_at",
            "verified_by__username",
            "ended_at",
            "offered_by__username",
            "distance_m",
            "reason",
            "note",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def convert(row):
        offered, accepted, due, completed, overdue = row[11], row[13], row[15], row[16], row[17]
        accept_minutes = round((accepted - offered).total_seconds() / 60, 1) if accepted else None
        late = bool(overdue or (completed and completed > due))  # the dashboard's "overdue" definition
        distance = round(row[22]) if row[22] is not None else None
        return (*row[:14], accept_minutes, *row[14:18], late, *row[18:22], distance, *row[23:])

    return header, (convert(r) for r in rows)


def hours_rows(qs: QuerySet) -> tuple[list[str], Iterator[tuple]]:
    header = [
        "id",
        "served_on",
        "volunteer_id",
        "real_name",
        "community",
        "team",
        "minutes",
        "hours",
        "source",
        "source_ref",
        "status",
        "note",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    ]
    rows = (
        qs.order_by("-served_on", "-id")
        .values_list(
            "id",
            "served_on",
            "volunteer_id",
            "volunteer__real_name",
            "volunteer__community__name",
            "team__name",
            "minutes",
            "source",
            "source_ref",
            "status",
            "note",
            "reviewed_by__username",
            "reviewed_at",
            "created_at",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def convert(row):
        return (*row[:7], round(row[6] / 60, 2), *row[7:])

    return header, (convert(r) for r in rows)


def ledger_rows(qs: QuerySet) -> tuple[list[str], Iterator[tuple]]:
    header = [
        "id",
        "created_at",
        "user_id",
        "username",
        "amount",
        "kind",
        "reason",
        "source_type",
        "source_id",
        "balance_after",
        "actor",
        "reverses",
    ]
    rows = (
        qs.order_by("id")
        .values_list(
            "id",
            "created_at",
            "account__user_id",
            "account__user__username",
            "amount",
            "kind",
            "reason",
            "source_type",
            "source_id",
            "balance_after",
            "actor__username",
            "reverses_id",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    return header, rows
