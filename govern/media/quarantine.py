"""The quarantine: where uploaded photos wait, untouched, until a worker has re-encoded them.

Private by construction: its root (`PHOTO_QUARANTINE_ROOT`, default `var/quarantine/`) is not
under MEDIA_ROOT (checked at startup, `hazards.E001`), it has no URL, and files and folders are
readable by the server's user only. On several machines it is a private bucket instead
(`QUARANTINE_S3_BUCKET`, govern.media.s3_quarantine; never the media bucket, same check). Nothing here is ever sent to a browser; originals are deleted
once processed (delete_originals), and a sweep removes any left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)


class QuarantineStorage(FileSystemStorage):
    def __init__(self, location=None, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        kwargs.pop("base_url", None)
        super().__init__(location=location, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PHOTO_QUARANTINE_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PHOTO_QUARANTINE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("quarantined uploads are never served")


def quarantine_storage():
    """Where originals wait for processing (`STORAGES["quarantine"]`): private, never under
    MEDIA_ROOT, no URL."""
    return storages["quarantine"]


class QuarantineUnreadable(Exception):
    """The quarantine storage could not give a photo's original; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_original(name: str, *, max_bytes: int) -> bytes:
    """The quarantined bytes of a photo waiting for processing (at most max_bytes + 1, enough for
    the checks to refuse an oversized one).

    Raises QuarantineUnreadable with the reason when the storage cannot give them: the file is
    not there (a worker on another machine than the web server, with the quarantine on local
    disk), the bucket is unreachable, the credentials are refused. The photo must then stay owed,
    not be failed: another try (the sweep's) may well read it."""
    storage = quarantine_storage()
    try:
        with storage.open(name, "rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError:
        where = getattr(storage, "location", "") or getattr(storage, "bucket_name", "")
        raise QuarantineUnreadable(
            f"{name} is not in the quarantine storage ({type(storage).__name__} {where}) of this process"
        ) from None
    except Exception as exc:  # OSError, botocore's ClientError, EndpointConnectionError, ...
        raise QuarantineUnreadable(f"{name} could not be read: {type(exc).__name__}: {exc}") from exc


def delete_originals(names: Iterable[str]) -> None:
    """Delete quarantined originals (once processed, or with their rows), tolerating missing files."""
    storage = quarantine_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:
            logger.warning("could not delete quarantined %s", name, exc_info=True)


# The id is kept stable: deployments silence and search system checks by id.
@register()
def quarantine_is_private(app_configs=None, **kwargs):
    errors = []
    bucket = getattr(settings, "QUARANTINE_S3_BUCKET", "")
    if bucket:
        if bucket == getattr(settings, "MEDIA_S3_BUCKET", ""):
            errors.append(
                Error(
                    f"QUARANTINE_S3_BUCKET is the media bucket ({bucket}): uploaded originals (with their EXIF and GPS) would be readable by anyone.",
                    hint="Give the quarantine a private bucket of its own.",
                    id="hazards.E001",
                )
            )
        return errors
    root = Path(settings.PHOTO_QUARANTINE_ROOT).resolve()
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        value = getattr(settings, name, None)
        if value and (root == Path(value).resolve() or Path(value).resolve() in root.parents):
            errors.append(
                Error(
                    f"PHOTO_QUARANTINE_ROOT ({root}) lies under {name}: uploaded originals (with their EXIF and GPS) would be served.",
                    hint="Point PHOTO_QUARANTINE_ROOT at a private directory outside MEDIA_ROOT and STATIC_ROOT.",
                    id="hazards.E001",
                )
            )
    return errors
