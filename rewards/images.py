"""Coupon images: decoded and re-encoded by Pillow, never stored as uploaded.

Re-encoding drops whatever the upload carried besides pixels (EXIF with GPS, scripts in SVG-like
payloads, polyglots); a pixel limit refuses decompression bombs before decoding.
"""

from __future__ import annotations

import io
import secrets

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from govern.errors import InvalidInput
from rewards import conf

MAX_PIXELS = 40_000_000


def coupon_image_process(upload) -> ContentFile:
    """A JPEG ContentFile (random name) from an uploaded file, or InvalidInput naming `image`."""
    size = getattr(upload, "size", None)
    if size is not None and size > conf.coupon_image_max_bytes():
        raise InvalidInput(
            _("The image is too large (at most %(mb)d MB).") % {"mb": conf.coupon_image_max_bytes() // (1024 * 1024)},
            field="image",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(_("The image has too many pixels."), field="image")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((conf.coupon_image_max_side(), conf.coupon_image_max_side()))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise InvalidInput(_("This file is not an image we can read (use JPEG, PNG or WebP)."), field="image")
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg")
