"""Fingerprints of a photo: SHA-256 of bytes (exact copies) and a 64-bit perceptual hash (the same
picture re-encoded, resized or recompressed), split into four 16-bit bands for an indexed lookup."""

from __future__ import annotations

import hashlib

import imagehash
from PIL import Image


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def perceptual_hash(image: Image.Image) -> str:
    """16 hex digits (imagehash.phash, 64 bits)."""
    return str(imagehash.phash(image))


def phash_bands(phash: str) -> tuple[int, int, int, int]:
    value = int(phash, 16)
    return tuple((value >> shift) & 0xFFFF for shift in (48, 32, 16, 0))  # type: ignore[return-value]


def phash_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
