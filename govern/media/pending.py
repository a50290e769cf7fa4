"""Photo rows waiting in quarantine: render them in a worker, then fill them in.

A pending row is any model instance with the photo row's fields: `position`, `original` (its
quarantined upload), `status` ("processing", then "ready" or "failed"), `failure`, the three
rendition file fields `image`, `medium`, `thumb`, `width`, `height`, `sha256`, `upload_sha256`,
`phash` and `phash_b0`…`phash_b3`. The limits' sizes must name large, medium and thumb.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from govern.db_retry import run_with_retry
from govern.media.checks import CheckedUpload, PhotoRefused, photo_label
from govern.media.limits import MediaLimits
from govern.media.quarantine import QuarantineUnreadable, delete_originals, read_original
from govern.media.renditions import ProcessedPhoto, render
from govern.media.writer import PhotoWriter

logger = logging.getLogger(__name__)

_FIELDS = [
    "image",
    "medium",
    "thumb",
    "width",
    "height",
    "sha256",
    "upload_sha256",
    "phash",
    "phash_b0",
    "phash_b1",
    "phash_b2",
    "phash_b3",
    "status",
    "failure",
    "original",
]


@dataclass(frozen=True)
class Outcome:
    """What processing made of one pending photo row: renditions, or a failure reason."""

    photo_id: int
    processed: ProcessedPhoto | None = None
    failure: str = ""
    unreadable: str = ""  # the quarantine could not give the original (why): the row stays owed


def pending_rows(model, checked: Sequence[CheckedUpload], originals: Sequence[str], *, start: int = 0, **owner) -> list:
    """Unsaved `model` rows, status "processing", for uploads that passed the fast checks and wait in
    quarantine under `originals` (one each, in order), numbered from `start`; `owner` names the
    row's owner (`hazard=...`, `task=...`). The caller bulk-creates them in its transaction."""
    return [
        model(
            **owner,
            status="processing",
            original=original,
            width=upload.width,
            height=upload.height,
            original_format=upload.original_format,
            position=position,
        )
        for position, (upload, original) in enumerate(zip(checked, originals, strict=True), start=start)
    ]


def render_pending(rows: Sequence, *, limits: MediaLimits) -> list[Outcome]:
    """Run the full pipeline on the quarantined originals of pending photo rows (outside any
    transaction: CPU-heavy). Never raises for a bad photo: it becomes a failure outcome."""
    outcomes = []
    for row in rows:
        index = row.position + 1
        label = photo_label(index)
        if not row.original:
            outcomes.append(Outcome(photo_id=row.pk, failure="missing"))
            continue
        try:
            data = read_original(row.original, max_bytes=limits.max_bytes)
        except QuarantineUnreadable as exc:
            # Loud: a worker that cannot read the quarantine is a deployment fault (another
            # machine without the shared storage, a bucket refusing the credentials), and every
            # photo waits on it. The row stays `processing`; the sweep sends it again.
            logger.warning("%s: its quarantined original cannot be read: %s", row, exc.reason)
            outcomes.append(Outcome(photo_id=row.pk, unreadable=exc.reason))
            continue
        try:
            outcomes.append(Outcome(photo_id=row.pk, processed=render(data, limits=limits, index=index, label=label)))
        except PhotoRefused as exc:
            outcomes.append(Outcome(photo_id=row.pk, failure=exc.reason))
        except Exception:  # a decoder bug or an exotic file must not leave the photo pending forever
            logger.exception("%s of %s could not be processed", label, row)
            outcomes.append(Outcome(photo_id=row.pk, failure="error"))
    return outcomes


def apply_outcomes(
    rows: Sequence, outcomes: Sequence[Outcome], writer: PhotoWriter, *, give_up_before: datetime | None = None
) -> tuple[list, list[str]]:
    """Fill locked, still-pending rows from their outcomes (inside the caller's transaction).

    Returns (the rows that changed, the quarantined originals to delete once that commits). A row
    that is no longer pending (another run finished it) is left alone, and so is a row whose
    original could not be read, unless it was created before `give_up_before`: that one ends
    `failed` ("missing").
    """
    by_id = {outcome.photo_id: outcome for outcome in outcomes}
    changed, originals = [], []
    for row in rows:
        outcome = by_id.get(row.pk)
        if outcome is None or row.status != "processing":
            continue
        if outcome.unreadable:
            if give_up_before is None or row.created_at >= give_up_before:
                continue  # still owed: the sweep sends it again
            logger.warning("%s: giving up, its original has been unreadable since %s", row, row.created_at)
            outcome = Outcome(photo_id=row.pk, failure="missing")
        if outcome.processed is not None:
            photo = outcome.processed
            names = writer.write(photo)
            b0, b1, b2, b3 = photo.phash_bands
            row.image, row.medium, row.thumb = names["large"], names["medium"], names["thumb"]
            row.width, row.height = photo.width, photo.height
            row.sha256, row.upload_sha256, row.phash = photo.sha256, photo.upload_sha256, photo.phash
            row.phash_b0, row.phash_b1, row.phash_b2, row.phash_b3 = b0, b1, b2, b3
            row.status, row.failure = "ready", ""
        else:
            row.status, row.failure = "failed", outcome.failure
        originals.append(row.original)
        row.original = ""
        row.save(update_fields=_FIELDS)
        changed.append(row)
    return changed, originals


def counts(outcomes: Sequence[Outcome], changed: Sequence) -> dict:
    """What a processing run did, as its task returns it: photos now ready, failed, and still owed
    because their originals could not be read (not given up)."""
    done = {row.pk for row in changed}
    return {
        "ready": sum(1 for row in changed if row.status == "ready"),
        "failed": sum(1 for row in changed if row.status == "failed"),
        "unreadable": sum(1 for outcome in outcomes if outcome.unreadable and outcome.photo_id not in done),
    }


def process_pending(
    pending: Sequence, *, limits: MediaLimits, apply: Callable[[list[Outcome]], tuple[bool, list, list[str]]], what: str
) -> dict:
    """The one way owed photo rows are processed: render them outside any transaction (CPU-heavy),
    then `apply(outcomes)` fills the rows in one transaction and answers (whether their owner was
    deleted meanwhile, the rows that changed, the originals to delete). PostgreSQL may abort that
    transaction for a deadlock or a serialization failure with another one: it runs again (the
    renditions it wrote are deleted with the rollback, PhotoWriter). The originals are deleted
    once committed, all of them when the owner is gone. Returns `counts`."""
    if not pending:
        return counts([], [])
    outcomes = render_pending(pending, limits=limits)
    gone, changed, originals = run_with_retry(lambda: apply(outcomes), what=what)
    if gone:
        originals = [row.original for row in pending]
    delete_originals(originals)
    return counts(outcomes, changed)
