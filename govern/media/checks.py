"""The fast checks: is this upload an image the pipeline will take, decided without decoding it.

Cheapest first: byte size (before reading), container sniffing (only JPEG, PNG, WebP and
HEIC/HEIF are opened; SVG, TIFF, PDF, GIF, BMP... are named and refused), the header (Pillow's
parser, no pixels decoded): pixel count (decompression bombs) and animation, then the container's
structure at C speed: a JPEG's markers up to its end-of-image (a truncated or marker-damaged file
is refused), a PNG's chunks up to IEND, a WebP's RIFF length, a HEIF's boxes. About a millisecond
for a 3 MB phone photo where a full decode takes half a second. renditions.render runs them again
on the bytes it is given before decoding.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from PIL import Image
from pillow_heif import register_heif_opener

from govern.errors import InvalidInput
from govern.media.limits import ACCEPTED_FORMATS, PILLOW_MAX_PIXELS, MediaLimits

logger = logging.getLogger(__name__)

register_heif_opener()

# Pillow's own bomb guard refuses images above twice this at open(); our explicit check below is
# stricter (MediaLimits.max_pixels) and gives the uploader a sentence, so Pillow's warning between
# 1× and 2× is noise. (A process-wide filter, set once: warnings.catch_warnings is not thread-safe.)
Image.MAX_IMAGE_PIXELS = PILLOW_MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}

# Errors Pillow's parsers raise on damaged data (beyond the checks' own refusals).
DAMAGED = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error)


class PhotoRefused(InvalidInput):
    """An upload the pipeline will not take: a 400 in a request, a `failed` row after processing.

    `reason` is what a failed photo row keeps (its model's choices name each): corrupt, too_large,
    unsupported, animated, not_image, oversized or empty."""

    def __init__(self, label: str, sentence: str, reason: str, *, field: str = "photos"):
        super().__init__(f"{label}: {sentence}", field=field, code="invalid_photo")
        self.reason = reason


@dataclass(frozen=True)
class Subject:
    """The upload being checked: how errors name it, which field they blame, its limits."""

    label: str
    limits: MediaLimits
    field: str = "photos"

    def refuse(self, sentence: str, reason: str = "corrupt") -> PhotoRefused:
        return PhotoRefused(self.label, sentence, reason, field=self.field)

    def unsupported(self, kind: str) -> PhotoRefused:
        if set(self.limits.formats) == set(ACCEPTED_FORMATS):
            sentence = _("unsupported type (%(type)s); send a JPEG, PNG, WebP or HEIC photo") % {"type": kind}
        else:
            accepted = ", ".join(FORMAT_NAMES[fmt] for fmt in self.limits.formats)
            sentence = _("unsupported type (%(type)s); accepted: %(formats)s") % {"type": kind, "formats": accepted}
        return self.refuse(sentence, "unsupported")

    def too_large(self) -> PhotoRefused:
        return self.refuse(_("over %(mp)d megapixels") % {"mp": self.limits.max_megapixels}, "too_large")


def display_name(upload) -> str:
    """The upload's file name, safe to show: no path, printable characters, at most 60."""
    name = os.path.basename(str(getattr(upload, "name", "") or "")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:60] or "?"


def photo_label(index: int, upload=None) -> str:
    """How errors name the `index`-th photo of a request ("photo 2 (kitchen.jpg)")."""
    if upload is None:
        return _("photo %(index)d") % {"index": index}
    return _("photo %(index)d (%(name)s)") % {"index": index, "name": display_name(upload)}


def _sniff_unsupported(head: bytes) -> str | None:
    """Name a known non-accepted type from its first bytes, to tell the reporter what it is."""
    stripped = head.lstrip()
    lowered = stripped[:512].lower()
    if head.startswith(b"%PDF"):
        return "PDF"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "TIFF"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"BM"):
        return "BMP"
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in head[:4096].lower()):
        return "SVG"
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "AVIF"
    if head[4:8] == b"ftyp" and head[8:12] not in HEIF_BRANDS:
        return _("a video")
    if head.startswith(b"\x00\x00\x00\x0cjP  "):
        return "JPEG 2000"
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return _("an archive")
    return None


def _looks_like_accepted(head: bytes) -> bool:
    """True when the first bytes claim an accepted container (so a failure to decode means damage)."""
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or (head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS)
    )


def _claimed_format(head: bytes) -> str:
    """The accepted container the first bytes claim (call only when _looks_like_accepted)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG"):
        return "PNG"
    if head.startswith(b"RIFF"):
        return "WEBP"
    return "HEIF"


def _read(upload, subject: Subject) -> bytes:
    size = getattr(upload, "size", None)
    limit = subject.limits.max_bytes
    over = _("over %(mb)d MB") % {"mb": subject.limits.max_megabytes}
    if size is not None and size > limit:
        raise subject.refuse(over, "oversized")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise subject.refuse(over, "oversized")
    if not data:
        raise subject.refuse(_("the file is empty"), "empty")
    return data


# --- structure checks: the container's own framing, at C speed, without decoding ------------------

# Inside a JPEG's entropy-coded data a 0xFF byte is followed by 0x00 (stuffing), 0xD0–0xD7 (restart
# markers) or more 0xFF (fill); anything else is a marker.
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# Markers a (progressive or multi-scan) JPEG may carry between its scans: DHT, DAC, SOS, DQT, DNL,
# DRI, APPn, COM. libjpeg stops at any other marker there.
_JPEG_BETWEEN_SCANS = {0xC4, 0xCC, 0xDA, 0xDB, 0xDC, 0xDD, 0xFE, *range(0xE0, 0xF0)}


def _jpeg_intact(data: bytes) -> bool:
    """Segments fit in the file up to the first scan; after it, only stuffed bytes, restart markers
    and between-scan segments until an end-of-image marker (bytes after it are ignored, as libjpeg
    does). A truncated upload has no end-of-image; a damaged one shows markers libjpeg refuses."""
    n = len(data)
    if n < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return False
    pos = 2
    while True:  # header segments, up to and including the first SOS
        if pos + 4 > n or data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:
            return False  # standalone markers (and an early end) before the first scan
        length = (data[pos + 2] << 8) | data[pos + 3]
        if length < 2 or pos + 2 + length > n:
            return False
        pos += 2 + length
        if marker == 0xDA:
            break
    while True:
        found = _JPEG_MARKER_IN_SCAN.search(data, pos)
        if found is None:
            return False  # no end-of-image: truncated
        at = found.start()
        marker = data[at + 1]
        if marker == 0xD9:
            return True
        if marker not in _JPEG_BETWEEN_SCANS or at + 4 > n:
            return False
        length = (data[at + 2] << 8) | data[at + 3]
        if length < 2 or at + 2 + length > n:
            return False
        pos = at + 2 + length


def _png_intact(data: bytes) -> bool:
    """Every chunk fits in the file, up to IEND."""
    n, pos = len(data), 8
    while pos + 12 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        end = pos + 12 + length
        if end > n:
            return False
        if data[pos + 4 : pos + 8] == b"IEND":
            return True
        pos = end
    return False


def _webp_intact(data: bytes) -> bool:
    return len(data) >= 12 and len(data) >= 8 + int.from_bytes(data[4:8], "little")


def _heif_intact(data: bytes) -> bool:
    """The top-level ISO-BMFF boxes (ftyp, meta, mdat...) each fit in the file."""
    n, pos = len(data), 0
    while pos + 8 <= n:
        size = int.from_bytes(data[pos : pos + 4], "big")
        if size == 1:
            if pos + 16 > n:
                return False
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        elif size == 0:
            return True  # the last box runs to the end of the file
        if size < 8 or pos + size > n:
            return False
        pos += size
    return pos > 0


_INTACT = {"JPEG": _jpeg_intact, "PNG": _png_intact, "WEBP": _webp_intact, "HEIF": _heif_intact}


@dataclass(frozen=True)
class CheckedUpload:
    """One photo that passed the fast checks; nothing is decoded and nothing stored yet."""

    index: int
    label: str
    data: bytes
    original_format: str
    width: int  # upright (EXIF orientation applied), from the header
    height: int
    # The upload itself when Django spooled it to a temporary file (over FILE_UPLOAD_MAX_MEMORY_SIZE,
    # 5 MB here: a large phone photo): write_original then moves that file into quarantine instead
    # of writing its bytes again.
    spooled: object = field(default=None, repr=False, compare=False)

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}[self.original_format]


def open_header(data: bytes, subject: Subject) -> Image.Image:
    """Sniff the first bytes, then let Pillow parse the header (no pixels decoded)."""
    head = data[:4096]
    unsupported = _sniff_unsupported(head)
    if unsupported:
        raise subject.unsupported(unsupported)
    try:
        return Image.open(io.BytesIO(data), formats=subject.limits.formats)
    except Image.DecompressionBombError:
        raise subject.too_large() from None
    except Exception:  # UnidentifiedImageError, or a parser tripping over a damaged header
        if _looks_like_accepted(head):
            if _claimed_format(head) not in subject.limits.formats:
                raise subject.unsupported(FORMAT_NAMES[_claimed_format(head)]) from None
            raise subject.refuse(_("truncated or corrupt image")) from None
        raise subject.refuse(_("not an image"), "not_image") from None


def check_header(image: Image.Image, data: bytes, subject: Subject) -> tuple[str, int, int]:
    fmt = (image.format or "").upper()
    if fmt not in subject.limits.formats:
        raise subject.unsupported(FORMAT_NAMES.get(fmt, fmt or "?"))
    width, height = image.size
    if width < 1 or height < 1:
        raise subject.refuse(_("truncated or corrupt image"))
    if width * height > subject.limits.max_pixels:
        raise subject.too_large()
    if fmt in ("PNG", "WEBP") and getattr(image, "is_animated", False):
        raise subject.refuse(_("animated images are not accepted; send a still photo"), "animated")
    if not _INTACT[fmt](data):
        raise subject.refuse(_("truncated or corrupt image"))
    return fmt, width, height


def _upright_size(image: Image.Image, width: int, height: int) -> tuple[int, int]:
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # an unreadable EXIF block is dropped at processing anyway
        orientation = None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def check_upload(
    upload, *, limits: MediaLimits, index: int = 1, field: str = "photos", label: str | None = None
) -> CheckedUpload:
    """The fast checks on one upload (no decode), or raise PhotoRefused naming it and why.

    `label` names it in errors ("photo 2 (kitchen.jpg)" by default); `field` is the field blamed."""
    subject = Subject(label=label or photo_label(index, upload), limits=limits, field=field)
    data = _read(upload, subject)
    image = open_header(data, subject)
    try:
        fmt, width, height = check_header(image, data, subject)
        width, height = _upright_size(image, width, height)
    except InvalidInput:
        raise
    except DAMAGED as exc:
        logger.info("%s refused: %s", subject.label, exc)
        raise subject.refuse(_("truncated or corrupt image")) from None
    finally:
        image.close()
    spooled = upload if hasattr(upload, "temporary_file_path") else None
    return CheckedUpload(
        index=index, label=subject.label, data=data, original_format=fmt, width=width, height=height, spooled=spooled
    )


def too_many_files_sentence(*, limits: MediaLimits) -> str:
    """When a request carries more files than Django parses (DATA_UPLOAD_MAX_NUMBER_FILES)."""
    return _("Too many files in one report: at most %(max)d photos.") % {"max": limits.max_count}


def check_uploads(
    files: Sequence, *, limits: MediaLimits, min_count: int = 1, max_count: int | None = None
) -> list[CheckedUpload]:
    """The fast checks on every photo of one request (all or nothing); raise InvalidInput at the
    first bad one. `max_count` narrows limits.max_count for one use (a single-photo form)."""
    max_count = limits.max_count if max_count is None else max_count
    files = [f for f in files if f is not None]
    if len(files) < min_count:
        raise InvalidInput(_("At least one photo is required."), field="photos", code="photos_missing")
    if len(files) > max_count:
        raise InvalidInput(
            _("At most %(max)d photos; this report has %(count)d.") % {"max": max_count, "count": len(files)},
            field="photos",
            code="too_many_photos",
        )
    return [check_upload(upload, limits=limits, index=index) for index, upload in enumerate(files, start=1)]
