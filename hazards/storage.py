"""The quarantine: where uploaded photos wait, untouched, until a worker has re-encoded them.

Private by construction: its root (`PHOTO_QUARANTINE_ROOT`, default `var/quarantine/`) is not
under MEDIA_ROOT (checked at startup, `hazards.E001`), it has no URL, and files and folders are
readable by the server's user only. Nothing here is ever sent to a browser; originals are deleted
once processed (hazards.photos.delete_originals), and a sweep removes any left behind.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


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


@register()
def quarantine_is_private(app_configs=None, **kwargs):
    root = Path(settings.PHOTO_QUARANTINE_ROOT).resolve()
    errors = []
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
