"""The photo pipeline: every uploaded photo is untrusted input.

Three steps, so that a report is answered quickly and nothing is written unless every photo of a
request passes the checks that can be made without decoding:

1. In the request, `check_uploads(files)` runs the fast checks on every photo and raises
   `InvalidInput` (field "photos", naming the photo and the reason) at the first bad one. Order,
   cheapest first: byte size (before reading), container sniffing (only JPEG, PNG, WebP,
   HEIC/HEIF are opened; SVG, TIFF, PDF, GIF, BMP... are named and refused), the header
   (Pillow's parser, no pixels decoded): pixel count (decompression bombs) and animation, then
   the container's structure at C speed: a JPEG's markers up to its end-of-image (a truncated or
   marker-damaged file is refused), a PNG's chunks up to IEND, a WebP's RIFF length, a HEIF's
   boxes. About a millisecond for a 3 MB phone photo where a full decode takes half a second.
2. `PhotoWriter.write_original` keeps the uploaded bytes in the private quarantine storage
   (`STORAGES["quarantine"]`, outside MEDIA_ROOT, never served, no URL) while the caller's
   transaction creates the photo rows in status `processing`; the files go again if it fails.
3. After the commit a Celery task (`hazards.tasks.process_hazard_photos` / `process_task_photos`,
   eager in embedded mode) runs `render()` on each original: full decode (Pillow's `draft` lets
   libjpeg decode big JPEGs at a reduced scale), EXIF orientation, sRGB, every metadata block
   (EXIF, GPS, XMP, ICC, comments) dropped, re-encoded as a ≤ 2560 px image, a 1024 px "medium"
   and a 320 px "thumb", SHA-256 and perceptual hash. `PhotoWriter.write` stores the renditions,
   the row becomes `ready` (or `failed`, with the reason, when only the full decode finds the
   damage) and the original is deleted: only re-encoded pixels are ever served.

`process_upload` runs all of it in memory on one upload (the benchmark and tests use it). Task
after-photos (issue 6) and Open311 media (issue 9) go through the same steps.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import struct
import uuid
import warnings
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import imagehash
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

from govern.errors import InvalidInput
from hazards import conf

logger = logging.getLogger(__name__)

register_heif_opener()

# Pillow's own bomb guard refuses images above twice this at open(); our explicit check below is
# stricter (50 MP) and gives the reporter a sentence, so Pillow's warning between 1× and 2× is
# noise. (A process-wide filter, set once: warnings.catch_warnings is not thread-safe.)
Image.MAX_IMAGE_PIXELS = 64_000_000
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
JPEG_QUALITY = {"large": 85, "medium": 82, "thumb": 78}


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """One validated photo, re-encoded; nothing of it is on disk yet."""

    index: int  # 1-based position in the request
    label: str  # "photo 2 (kitchen.jpg)": how errors and logs name it
    original_format: str
    renditions: dict[str, Rendition]  # large, medium, thumb
    sha256: str  # of the stored large JPEG
    upload_sha256: str  # of the bytes received
    phash: str  # 16 hex digits (imagehash.phash, 64 bits)

    @property
    def width(self) -> int:
        return self.renditions["large"].width

    @property
    def height(self) -> int:
        return self.renditions["large"].height

    @property
    def phash_bands(self) -> tuple[int, int, int, int]:
        return phash_bands(self.phash)


def phash_bands(phash: str) -> tuple[int, int, int, int]:
    value = int(phash, 16)
    return tuple((value >> shift) & 0xFFFF for shift in (48, 32, 16, 0))  # type: ignore[return-value]


def phash_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _display_name(upload) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:60] or "?"


def _label(index: int, upload) -> str:
    return _("photo %(index)d (%(name)s)") % {"index": index, "name": _display_name(upload)}


class PhotoRefused(InvalidInput):
    """A photo the pipeline will not take: a 400 in a request, a `failed` row after processing.

    `reason` is one of hazards.models.PhotoFailure's values (kept on a failed row)."""

    def __init__(self, label: str, sentence: str, reason: str):
        super().__init__(f"{label}: {sentence}", field="photos", code="invalid_photo")
        self.reason = reason


def _refuse(label: str, reason: str, code: str = "corrupt") -> PhotoRefused:
    return PhotoRefused(label, reason, code)


def _unsupported(label: str, kind: str) -> PhotoRefused:
    return _refuse(
        label, _("unsupported type (%(type)s); send a JPEG, PNG, WebP or HEIC photo") % {"type": kind}, "unsupported"
    )


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


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert to RGB in the sRGB colour space (phones shoot Display P3); drop alpha onto white."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        image = background
    if image.mode == "CMYK" or image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # a broken or unusual profile: keep the pixels as they are
            logger.info("ICC profile not applied", exc_info=True)
    return image


def _resized(image: Image.Image, long_edge: int) -> Image.Image:
    """A copy scaled so that its long edge is at most `long_edge` (never enlarged)."""
    width, height = image.size
    scale = long_edge / max(width, height)
    if scale >= 1:
        return image.copy()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(image: Image.Image, quality: int) -> Rendition:
    image.info = {}  # nothing of the source's metadata may follow the pixels
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Rendition(data=buffer.getvalue(), width=image.width, height=image.height)


def _read(upload, label: str) -> bytes:
    size = getattr(upload, "size", None)
    limit = conf.max_photo_bytes()
    mb = limit // (1024 * 1024)
    if size is not None and size > limit:
        raise _refuse(label, _("over %(mb)d MB") % {"mb": mb}, "oversized")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(label, _("over %(mb)d MB") % {"mb": mb}, "oversized")
    if not data:
        raise _refuse(label, _("the file is empty"), "empty")
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


def _open(data: bytes, label: str) -> Image.Image:
    """Sniff the first bytes, then let Pillow parse the header (no pixels decoded)."""
    head = data[:4096]
    unsupported = _sniff_unsupported(head)
    if unsupported:
        raise _unsupported(label, unsupported)
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise _refuse(label, _("over 50 megapixels"), "too_large") from None
    except Exception:  # UnidentifiedImageError, or a parser tripping over a damaged header
        if _looks_like_accepted(head):
            raise _refuse(label, _("truncated or corrupt image")) from None
        raise _refuse(label, _("not an image"), "not_image") from None


def _check_header(image: Image.Image, data: bytes, label: str) -> tuple[str, int, int]:
    fmt = (image.format or "").upper()
    if fmt not in ACCEPTED_FORMATS:
        raise _unsupported(label, fmt or "?")
    width, height = image.size
    if width < 1 or height < 1:
        raise _refuse(label, _("truncated or corrupt image"))
    if width * height > conf.max_photo_pixels():
        raise _refuse(label, _("over 50 megapixels"), "too_large")
    if fmt in ("PNG", "WEBP") and getattr(image, "is_animated", False):
        raise _refuse(label, _("animated images are not accepted; send a still photo"), "animated")
    if not _INTACT[fmt](data):
        raise _refuse(label, _("truncated or corrupt image"))
    return fmt, width, height


def _upright_size(image: Image.Image, width: int, height: int) -> tuple[int, int]:
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # an unreadable EXIF block is dropped at processing anyway
        orientation = None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def check_upload(upload, index: int) -> CheckedUpload:
    """The fast checks on one uploaded photo (no decode), or raise InvalidInput naming it and why."""
    label = _label(index, upload)
    data = _read(upload, label)
    image = _open(data, label)
    try:
        fmt, width, height = _check_header(image, data, label)
        width, height = _upright_size(image, width, height)
    except InvalidInput:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error) as exc:
        logger.info("%s refused: %s", label, exc)
        raise _refuse(label, _("truncated or corrupt image")) from None
    finally:
        image.close()
    spooled = upload if hasattr(upload, "temporary_file_path") else None
    return CheckedUpload(
        index=index, label=label, data=data, original_format=fmt, width=width, height=height, spooled=spooled
    )


def render(data: bytes, *, index: int = 1, label: str | None = None) -> ProcessedPhoto:
    """The full pipeline on one photo's bytes (all checks again, then decode and re-encode), or
    raise PhotoRefused naming it and why. CPU-heavy: outside transactions, ideally in a worker."""
    label = label or _("photo %(index)d") % {"index": index}
    image = _open(data, label)
    try:
        _check_header(image, data, label)
        return _decode_and_render(image, data, index, label)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:
        raise _refuse(label, _("over 50 megapixels"), "too_large") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error) as exc:
        logger.info("%s refused: %s", label, exc)
        raise _refuse(label, _("truncated or corrupt image")) from None
    finally:
        image.close()


def process_upload(upload, index: int) -> ProcessedPhoto:
    """Check and fully process one uploaded photo in memory (benchmarks, tests, tools)."""
    checked = check_upload(upload, index)
    return render(checked.data, index=index, label=checked.label)


def _decode_and_render(image: Image.Image, data: bytes, index: int, label: str) -> ProcessedPhoto:
    fmt = (image.format or "").upper()
    width, height = image.size
    long_edge = conf.photo_sizes()["large"]
    if fmt == "JPEG" and max(width, height) > long_edge:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while staying at least the target size.
        scale = long_edge / max(width, height)
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
    image.load()  # the full decode: raises on truncated or corrupt data
    ImageOps.exif_transpose(image, in_place=True)  # upright pixels; drops the orientation tag
    rgb = _to_srgb(image)

    # Largest first, each smaller size from the previous one: far less work than three resizes
    # of the full-resolution decode, with no visible difference at these ratios.
    renditions: dict[str, Rendition] = {}
    source = rgb
    medium_image = None
    for name, edge in sorted(conf.photo_sizes().items(), key=lambda item: -item[1]):
        source = _resized(source, edge)
        renditions[name] = _encode(source, JPEG_QUALITY.get(name, 82))
        if name == "medium":
            medium_image = source
    phash = str(imagehash.phash(medium_image if medium_image is not None else source))
    return ProcessedPhoto(
        index=index,
        label=label,
        original_format=fmt,
        renditions=renditions,
        sha256=hashlib.sha256(renditions["large"].data).hexdigest(),
        upload_sha256=hashlib.sha256(data).hexdigest(),
        phash=phash,
    )


def too_many_files_sentence() -> str:
    return _("Too many files in one report: at most %(max)d photos.") % {"max": conf.max_photos()}


def check_uploads(files: Sequence, *, min_count: int = 1, max_count: int | None = None) -> list[CheckedUpload]:
    """The fast checks on every photo of one request (all or nothing); raise InvalidInput at the first bad one."""
    max_count = conf.max_photos() if max_count is None else max_count
    files = [f for f in files if f is not None]
    if len(files) < min_count:
        raise InvalidInput(_("At least one photo is required."), field="photos", code="photos_missing")
    if len(files) > max_count:
        raise InvalidInput(
            _("At most %(max)d photos; this report has %(count)d.") % {"max": max_count, "count": len(files)},
            field="photos",
            code="too_many_photos",
        )
    return [check_upload(upload, index) for index, upload in enumerate(files, start=1)]


def quarantine_storage():
    """Where originals wait for processing: private, never under MEDIA_ROOT, no URL."""
    return storages["quarantine"]


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
        """Save the three renditions under random names; returns {rendition: storage name}."""
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


def read_original(name: str) -> bytes | None:
    """The quarantined bytes of a photo waiting for processing; None when they are gone."""
    storage = quarantine_storage()
    try:
        with storage.open(name, "rb") as handle:
            return handle.read(conf.max_photo_bytes() + 1)
    except (FileNotFoundError, OSError):
        return None


# --- processing in a worker --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What processing made of one pending photo row: renditions, or a failure reason."""

    photo_id: int
    processed: ProcessedPhoto | None = None
    failure: str = ""


def render_pending(rows: Sequence) -> list[Outcome]:
    """Run the full pipeline on the quarantined originals of pending photo rows (outside any
    transaction: CPU-heavy). Never raises for a bad photo: it becomes a failure outcome."""
    outcomes = []
    for row in rows:
        label = _("photo %(index)d") % {"index": row.position + 1}
        data = read_original(row.original) if row.original else None
        if data is None:
            outcomes.append(Outcome(photo_id=row.pk, failure="missing"))
            continue
        try:
            outcomes.append(Outcome(photo_id=row.pk, processed=render(data, index=row.position + 1, label=label)))
        except PhotoRefused as exc:
            outcomes.append(Outcome(photo_id=row.pk, failure=exc.reason))
        except Exception:  # a decoder bug or an exotic file must not leave the photo pending forever
            logger.exception("%s of %s could not be processed", label, row)
            outcomes.append(Outcome(photo_id=row.pk, failure="error"))
    return outcomes


def apply_outcomes(rows: Sequence, outcomes: Sequence[Outcome], writer: PhotoWriter) -> tuple[list, list[str]]:
    """Fill locked, still-pending rows from their outcomes (inside the caller's transaction).

    Returns (the rows that changed, the quarantined originals to delete once that commits). A row
    that is no longer pending (another run finished it) is left alone.
    """
    by_id = {outcome.photo_id: outcome for outcome in outcomes}
    changed, originals = [], []
    for row in rows:
        outcome = by_id.get(row.pk)
        if outcome is None or row.status != "processing":
            continue
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
        row.save(
            update_fields=[
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
        )
        changed.append(row)
    return changed, originals
