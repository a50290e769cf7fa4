"""Tracking codes: what a reporter gets to follow a report, and the capability the public tracking
page (and Open311's token lookup) accepts."""

from __future__ import annotations

import secrets

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L look-alikes
TRACKING_CODE_LENGTH = 10  # 31^10 ≈ 8·10^14 codes; lookups are throttled


def new_tracking_code(rng=None) -> str:
    """A short code from an alphabet without look-alikes, unguessable by default."""
    choose = rng.choice if rng is not None else secrets.choice
    return "".join(choose(TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


def normalise_tracking_code(code: str) -> str:
    """As typed (spaces, lower case) to as stored."""
    return "".join(str(code).split()).upper()


def looks_like_tracking_code(code: str) -> bool:
    """Cheap shape check before a lookup: 4 to 16 characters of the alphabet."""
    return 4 <= len(code) <= 16 and all(ch in TRACKING_ALPHABET for ch in code)
