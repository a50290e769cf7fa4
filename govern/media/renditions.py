"""Renditions: the full decode of a checked photo and its re-encoding, the only pixels ever served.

Full decode (Pillow's `draft` lets libjpeg decode big JPEGs at a reduced scale), EXIF orientation,
sRGB, every metadata block (EXIF, GPS, XMP, ICC, comments) dropped, re-encoded as JPEG at each of
the limits' sizes (for hazard photos a ≤ 2560 px image, a 1024 px "medium" and a 320 px "thumb"),
SHA-256 and perceptual hash; what EXIF said (capture time, camera, position) is read first, in
memory only (`exif`). CPU-heavy: outside transactions, ideally in a worker.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from govern.errors import InvalidInput
from govern.media import hashing
from govern.media.checks import DAMAGED, Subject, check_header, check_upload, open_header, photo_label
from govern.media.exif import NOTHING, CaptureMetadata, capture_metadata
from govern.media.limits import MediaLimits

logger = logging.getLogger(__name__)

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
    renditions: dict[str, Rendition]  # by the limits' size names: large, medium, thumb
    sha256: str  # of the stored large JPEG
    upload_sha256: str  # of the bytes received
    phash: str  # 16 hex digits (imagehash.phash, 64 bits)
    # What EXIF said, read before it was dropped; in memory only (the position is never stored).
    capture: CaptureMetadata = NOTHING

    @property
    def width(self) -> int:
        return self.renditions["large"].width

    @property
    def height(self) -> int:
        return self.renditions["large"].height

    @property
    def phash_bands(self) -> tuple[int, int, int, int]:
        return hashing.phash_bands(self.phash)


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


def render(
    data: bytes, *, limits: MediaLimits, index: int = 1, label: str | None = None, field: str = "photos"
) -> ProcessedPhoto:
    """The full pipeline on one photo's bytes (all checks again, then decode and re-encode), or
    raise PhotoRefused naming it and why."""
    subject = Subject(label=label or photo_label(index), limits=limits, field=field)
    image = open_header(data, subject)
    try:
        check_header(image, data, subject)
        return _decode_and_render(image, data, index, subject)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:
        raise subject.too_large() from None
    except DAMAGED as exc:
        logger.info("%s refused: %s", subject.label, exc)
        raise subject.refuse(_("truncated or corrupt image")) from None
    finally:
        image.close()


def process_upload(
    upload, *, limits: MediaLimits, index: int = 1, field: str = "photos", label: str | None = None
) -> ProcessedPhoto:
    """Check and fully process one upload in memory (single images, benchmarks, tests, tools)."""
    checked = check_upload(upload, limits=limits, index=index, field=field, label=label)
    return render(checked.data, limits=limits, index=index, label=checked.label, field=field)


def _decode_and_render(image: Image.Image, data: bytes, index: int, subject: Subject) -> ProcessedPhoto:
    fmt = (image.format or "").upper()
    width, height = image.size
    sizes = subject.limits.sizes
    long_edge = sizes["large"]
    if fmt == "JPEG" and max(width, height) > long_edge:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while staying at least the target size.
        scale = long_edge / max(width, height)
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
    image.load()  # the full decode: raises on truncated or corrupt data
    # After the decode (PNG reads its EXIF only by decoding, and a damaged file must fail there),
    # before the transpose and the re-encoding drop it.
    capture = capture_metadata(image)
    ImageOps.exif_transpose(image, in_place=True)  # upright pixels; drops the orientation tag
    rgb = _to_srgb(image)

    # Largest first, each smaller size from the previous one: far less work than three resizes
    # of the full-resolution decode, with no visible difference at these ratios.
    renditions: dict[str, Rendition] = {}
    source = rgb
    medium_image = None
    for name, edge in sorted(sizes.items(), key=lambda item: -item[1]):
        source = _resized(source, edge)
        renditions[name] = _encode(source, JPEG_QUALITY.get(name, 82))
        if name == "medium":
            medium_image = source
    return ProcessedPhoto(
        index=index,
        label=subject.label,
        original_format=fmt,
        renditions=renditions,
        sha256=hashing.sha256(renditions["large"].data),
        upload_sha256=hashing.sha256(data),
        phash=hashing.perceptual_hash(medium_image if medium_image is not None else source),
        capture=capture,
    )
