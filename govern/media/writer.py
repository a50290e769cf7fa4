"""Writing files for rows made in a transaction: renditions to the default (served) storage,
originals to the quarantine, and every file written deleted again when the transaction fails."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from govern.media.checks import CheckedUpload
from govern.media.quarantine import quarantine_storage
from govern.media.renditions import ProcessedPhoto

logger = logging.getLogger(__name__)


def _in_one_write(data: bytes) -> ContentFile:
    """The bytes as a file that storage writes in one write() call, not 64 KiB chunks.

    Every write() releases the GIL, and getting it back waits for a busy thread's switch
    interval (5 ms): a 3.4 MB photo in 52 chunks, written while other requests parse their
    uploads, spent more time waiting than writing (bench: intake).
    """
    content = ContentFile(data)
    content.DEFAULT_CHUNK_SIZE = max(len(data), 1)
    return content


class PhotoWriter:
    """Writes files for rows created in a transaction; deletes them again on failure.

    Put the `with PhotoWriter(...)` block around the `transaction.atomic()` block that creates or
    updates the rows: any exception (a constraint, a failed publish, a bug) rolls the rows back and
    then deletes every file written so far, so a refused or failed request leaves nothing behind.
    (Called inside a longer transaction that the caller rolls back later, the files would stay as
    unreferenced, randomly named blobs; every caller in govern runs the service outermost.)
    """

    def __init__(self, prefix: str):
        self.prefix = prefix.strip("/")
        self.written: list[tuple[object, str]] = []

    def __enter__(self) -> PhotoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.discard()
        return False

    def _stem(self) -> str:
        return f"{self.prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"

    def write_original(self, checked: CheckedUpload) -> str:
        """Keep the uploaded bytes in quarantine until they are processed; returns the storage name.

        A spooled upload's temporary file is moved there (a rename on one file system: Django's
        FileSystemStorage does that for any content with a temporary_file_path), which spares
        writing the bytes again on the request path; Django tolerates the file being gone when it
        cleans up after the request."""
        storage = quarantine_storage()
        content = checked.spooled if checked.spooled is not None else _in_one_write(checked.data)
        name = storage.save(f"{self._stem()}.{checked.extension}", content)
        self.written.append((storage, name))
        return name

    def write(self, photo: ProcessedPhoto) -> dict[str, str]:
        """Save the renditions under random names; returns {rendition: storage name}."""
        stem = self._stem()
        names: dict[str, str] = {}
        for rendition, content in photo.renditions.items():
            name = default_storage.save(f"{stem}-{rendition[0]}.jpg", _in_one_write(content.data))
            self.written.append((default_storage, name))
            names[rendition] = name
        return names

    def discard(self) -> None:
        for storage, name in self.written:
            try:
                storage.delete(name)
            except Exception:  # a file we could not delete is logged; its row never existed
                logger.warning("could not delete %s after a rollback", name, exc_info=True)
        self.written.clear()


def delete_files(names: Iterable[str]) -> None:
    """Delete stored renditions (after their rows are gone), tolerating missing files."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.warning("could not delete %s", name, exc_info=True)
