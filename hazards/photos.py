"""The photo pipeline: every uploaded photo is untrusted input.

Two steps, so that nothing is written unless every photo of a request is good:

1. `process_uploads(files)` validates and re-encodes all photos in memory and raises
   `InvalidInput` (field "photos", naming the photo and the reason) at the first bad one.
   Order of checks, cheapest first: byte size (before reading), container sniffing (only JPEG,
   PNG, WebP, HEIC/HEIF are opened; SVG, TIFF, PDF, GIF, BMP... are named and refused), pixel
   count from the header (before decoding: decompression bombs), animation, then a full decode
   (Pillow's `draft` lets libjpeg decode big JPEGs at a reduced scale), which catches truncated
   and corrupt files.
2. `PhotoWriter` writes the renditions to the default storage while the caller's transaction
   creates the rows, and deletes them again if that transaction fails.

What is stored: orientation applied (EXIF orientation), colours converted to sRGB, every
metadata block (EXIF, GPS, XMP, ICC, comments) dropped, long edge at most 2560 px, plus a 1024 px
"medium" and a 320 px "thumb" — all baseline-compatible progressive JPEG. The uploaded bytes are
never written anywhere; only their SHA-256 is kept. Reused by task after-photos (issue 6) and
Open311 media (issue 9): they call the same two steps.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import struct
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import imagehash
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
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


def _refuse(label: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{label}: {reason}", field="photos", code="invalid_photo")


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
        raise _refuse(label, _("over %(mb)d MB") % {"mb": mb})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(label, _("over %(mb)d MB") % {"mb": mb})
    if not data:
        raise _refuse(label, _("the file is empty"))
    return data


def process_upload(upload, index: int) -> ProcessedPhoto:
    """Validate and re-encode one uploaded photo, or raise InvalidInput naming it and why."""
    label = _label(index, upload)
    data = _read(upload, label)
    head = data[:4096]

    unsupported = _sniff_unsupported(head)
    if unsupported:
        raise _refuse(
            label,
            _("unsupported type (%(type)s); send a JPEG, PNG, WebP or HEIC photo") % {"type": unsupported},
        )
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise _refuse(label, _("over 50 megapixels")) from None
    except Exception:  # UnidentifiedImageError, or a parser tripping over a damaged header
        if _looks_like_accepted(head):
            raise _refuse(label, _("truncated or corrupt image")) from None
        raise _refuse(label, _("not an image")) from None
    try:
        return _decode_and_render(image, data, index, label)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:
        raise _refuse(label, _("over 50 megapixels")) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        logger.info("%s refused: %s", label, exc)
        raise _refuse(label, _("truncated or corrupt image")) from None
    finally:
        image.close()


def _decode_and_render(image: Image.Image, data: bytes, index: int, label: str) -> ProcessedPhoto:
    fmt = (image.format or "").upper()
    if fmt not in ACCEPTED_FORMATS:
        raise _refuse(label, _("unsupported type (%(type)s); send a JPEG, PNG, WebP or HEIC photo") % {"type": fmt or "?"})
    width, height = image.size
    if width < 1 or height < 1:
        raise _refuse(label, _("truncated or corrupt image"))
    if width * height > conf.max_photo_pixels():
        raise _refuse(label, _("over 50 megapixels"))
    if fmt in ("PNG", "WEBP") and getattr(image, "is_animated", False):
        raise _refuse(label, _("animated images are not accepted; send a still photo"))

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


def process_uploads(files: Sequence, *, min_count: int = 1, max_count: int | None = None) -> list[ProcessedPhoto]:
    """Validate every photo of one request (all or nothing); raise InvalidInput at the first bad one."""
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
    return [process_upload(upload, index) for index, upload in enumerate(files, start=1)]


class PhotoWriter:
    """Writes renditions to storage for rows created in a transaction; deletes them on failure.

    Put the `with PhotoWriter(...)` block around the `transaction.atomic()` block that creates the
    rows: any exception (a constraint, a failed publish, a bug) rolls the rows back and then
    deletes every file written so far, so a refused or failed report leaves nothing behind.
    (Called inside a longer transaction that the caller rolls back later, the files would stay as
    unreferenced, randomly named blobs; every caller in govern runs the service outermost.)
    """

    def __init__(self, prefix: str):
        self.prefix = prefix.strip("/")
        self.written: list[str] = []

    def __enter__(self) -> PhotoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.discard()
        return False

    def write(self, photo: ProcessedPhoto) -> dict[str, str]:
        """Save the three renditions under random names; returns {rendition: storage name}."""
        stem = f"{self.prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
        names: dict[str, str] = {}
        for rendition, content in photo.renditions.items():
            name = default_storage.save(f"{stem}-{rendition[0]}.jpg", ContentFile(content.data))
            self.written.append(name)
            names[rendition] = name
        return names

    def discard(self) -> None:
        for name in self.written:
            try:
                default_storage.delete(name)
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
