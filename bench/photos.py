"""A realistic phone photo: 4000×3000 JPEG of about 3 MB, generated (no data set needed)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter


def phone_jpeg(width: int = 4000, height: int = 3000, seed: int = 7) -> bytes:
    """Noise plus shapes compresses like a real photo (~3 MB at quality 90)."""
    noise = Image.effect_noise((width // 4, height // 4), 64).resize((width, height), Image.BILINEAR)
    base = Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(Image.FLIP_LEFT_RIGHT)))
    draw = ImageDraw.Draw(base)
    for i in range(40):
        x = (seed * 97 + i * 331) % width
        y = (seed * 53 + i * 211) % height
        draw.rectangle([x, y, x + 300, y + 200], fill=((i * 40) % 255, (i * 70) % 255, (i * 110) % 255))
    base = base.filter(ImageFilter.GaussianBlur(1))
    grain = Image.effect_noise((width, height), 40).convert("RGB")
    base = Image.blend(base, grain, 0.12)
    out = io.BytesIO()
    base.save(out, "JPEG", quality=85)
    return out.getvalue()
