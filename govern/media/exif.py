"""What the camera said about a photo (EXIF), read in memory before the renditions drop it.

Only the decode worker ever sees it: the capture time, whether any camera information is there,
and the position. The position must never be stored: callers turn it into what they need (a
distance) and let the object go; renditions carry no metadata at all (`renditions`).

EXIF is untrusted like the rest of the file: anything malformed reads as absent, never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from django.utils import timezone
from PIL import Image

logger = logging.getLogger(__name__)

# TIFF/EXIF tag numbers (Pillow's ExifTags.Base / GPS / IFD).
MAKE, MODEL, DATETIME = 0x010F, 0x0110, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x9003, 0x9004
OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED, OFFSET_TIME = 0x9011, 0x9012, 0x9010
GPS_LAT_REF, GPS_LAT, GPS_LNG_REF, GPS_LNG = 1, 2, 3, 4


@dataclass(frozen=True)
class CaptureMetadata:
    """What EXIF says of one photo. `latitude`/`longitude` are for an in-memory distance only."""

    taken_at: dt.datetime | None = None  # aware; naive EXIF times are read in the site's zone
    latitude: float | None = None
    longitude: float | None = None
    has_camera: bool = False  # any of make, model, capture time or position

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:  # never print a position into a log or a traceback
        return f"CaptureMetadata(taken_at={self.taken_at!r}, has_position={self.has_position}, has_camera={self.has_camera})"


NOTHING = CaptureMetadata()


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value).strip("\x00 ") if value is not None else ""


def _datetime(raw, offset) -> dt.datetime | None:
    text = _text(raw)
    try:
        naive = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset_text = _text(offset)
    if len(offset_text) == 6 and offset_text[0] in "+-" and offset_text[3] == ":":
        try:
            minutes = int(offset_text[1:3]) * 60 + int(offset_text[4:6])
        except ValueError:
            minutes = None
        if minutes is not None and minutes <= 14 * 60:
            sign = -1 if offset_text[0] == "-" else 1
            return naive.replace(tzinfo=dt.timezone(dt.timedelta(minutes=sign * minutes)))
    # Cameras write local wall-clock time without a zone: read it in the site's time zone.
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if not math.isfinite(degrees):
        return None
    return -degrees if _text(ref).upper() in ("S", "W") else degrees


def _position(gps: dict) -> tuple[float | None, float | None]:
    latitude = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF))
    longitude = _degrees(gps.get(GPS_LNG), gps.get(GPS_LNG_REF))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


def capture_metadata(image: Image.Image) -> CaptureMetadata:
    """The capture time, the position and whether there is any camera information at all."""
    try:
        exif = image.getexif()
        ifd = exif.get_ifd(EXIF_IFD)
        gps = exif.get_ifd(GPS_IFD)
        taken_at = None
        for tag, offset_tag in (
            (DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL),
            (DATETIME_DIGITIZED, OFFSET_TIME_DIGITIZED),
        ):
            if taken_at is None and ifd.get(tag):
                taken_at = _datetime(ifd.get(tag), ifd.get(offset_tag))
        if taken_at is None and exif.get(DATETIME):
            taken_at = _datetime(exif.get(DATETIME), ifd.get(OFFSET_TIME))
        latitude, longitude = _position(gps) if gps else (None, None)
        has_camera = bool(_text(exif.get(MAKE)) or _text(exif.get(MODEL)) or taken_at or latitude is not None)
        return CaptureMetadata(taken_at=taken_at, latitude=latitude, longitude=longitude, has_camera=has_camera)
    except Exception:  # a malformed EXIF block is the absence of EXIF, never a failed photo
        logger.info("EXIF not readable", exc_info=True)
        return NOTHING
