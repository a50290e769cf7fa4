"""Redemption codes: unguessable, unique, easy to read aloud and type.

The alphabet leaves out look-alikes (0/O, 1/I/L), so a code read from a phone screen is typed right.
With 31 symbols and 12 characters there are about 7.9e17 codes (~59 bits): guessing one that
exists at a given merchant is hopeless, and code lookups are throttled as well.
"""

from __future__ import annotations

import re
import secrets

from rewards import conf

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(conf.code_length()))


def normalise_code(raw: str) -> str:
    """What a person typed or a scanner read → the stored form (upper case, no separators)."""
    return _SEPARATORS.sub("", str(raw or "")).upper()


def looks_like_code(code: str) -> bool:
    return 12 <= len(code) <= 32 and all(ch in ALPHABET for ch in code)
