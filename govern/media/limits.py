"""What one kind of upload may be: each use of the pipeline (hazard photos, coupon images...) passes
its own limits, built from its app's settings, to every step that needs one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Every container the pipeline can check without decoding (checks._INTACT) and decode safely.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# Pillow refuses anything above twice this at open() (checks sets it process-wide): a max_pixels
# above it would be answered by Pillow's refusal, not by the limit.
PILLOW_MAX_PIXELS = 64_000_000


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int  # refused before a byte is decoded
    max_pixels: int  # width × height, from the header: decompression bombs are refused unopened
    # Rendition name → long edge in pixels. "large" is required: the full-size image, the one
    # hashed and measured; the others are made from it, largest first.
    sizes: Mapping[str, int]
    max_count: int = 1  # files in one request
    formats: tuple[str, ...] = ACCEPTED_FORMATS

    def __post_init__(self):
        if "large" not in self.sizes or max(self.sizes.values()) != self.sizes["large"]:
            raise ValueError("sizes must name a 'large' rendition, the largest")
        if not set(self.formats) <= set(ACCEPTED_FORMATS) or not self.formats:
            raise ValueError(f"formats must be some of {ACCEPTED_FORMATS}")
        if self.max_pixels > 2 * PILLOW_MAX_PIXELS:
            raise ValueError(f"max_pixels above {2 * PILLOW_MAX_PIXELS} would never be reached")

    @property
    def max_megabytes(self) -> int:
        return self.max_bytes // (1024 * 1024)

    @property
    def max_megapixels(self) -> int:
        return self.max_pixels // 1_000_000
