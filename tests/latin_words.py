"""Finding English that leaked into a Chinese page.

A page in Chinese may still show Latin letters for good reasons: codes (tracking codes, coupon
codes, usernames such as vol1), units (m, km, MB), formats and brand names (JPEG, OpenStreetMap).
Anything else — "Failed to fetch", "grid_worker", "critical", "temperature", an untranslated
sentence — is a leak. `leaks(text)` returns the Latin words of a text that are none of these.
`page_texts(html)` gives what a person sees or hears of a server-rendered page: its text (not
scripts, styles or <template>s, which only scripts read, nor <code>), the attributes a browser
shows or reads aloud, and the data-msg-*/data-label-* sentences the page's scripts show.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Names and codes that stay in Latin letters in Chinese text.
ALLOWED = {
    # brands and standards
    "OpenStreetMap",
    "Tianditu",
    "AMap",
    "Open311",
    "GeoReport",
    "API",
    "CSV",
    "QR",
    "JSON",
    "GeoJSON",
    "JPEG",
    "PNG",
    "WebP",
    "HEIC",
    "HEIF",
    "Excel",
    "WGS",
    "GCJ",
    "UTF",
    "BOM",
    "ID",
    "URL",
    "HTTP",
    "HTTPS",
    "WebSocket",
    "iPhone",
    "Android",
    "Chrome",
    "Safari",
    "WeChat",
    # units
    "m",
    "km",
    "MB",
    "KB",
    "GB",
    "h",
    "s",
    "ms",
    "px",
    "kg",
    "kPa",
    "MPa",
    "ppm",
    "LEL",
    "C",
}
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_'\-]*")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")
# Placeholders a page script fills in: "%(distance)s", "{open}".
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _is_code(token: str) -> bool:
    """Tracking and coupon codes, usernames and sensor ids: letters with digits (QPX7VFZS36, vol1,
    BRG-07, ABCD-EFGH), or all capitals of four letters or more."""
    return any(c.isdigit() for c in token) or (len(token) >= 4 and token.replace("-", "").isupper())


def leaks(text: str) -> list[str]:
    text = PLACEHOLDER.sub(" ", EMAIL.sub(" ", text))
    words = [t.strip("-'") for t in TOKEN.findall(text)]
    return [w for w in words if any(c.isalpha() for c in w) and w not in ALLOWED and not _is_code(w)]


SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description", "label")
# Not read as prose: scripts, styles, <template>s (only scripts read them), and code (field names,
# key prefixes, event types, raw metric names: machine words shown as such).
SKIPPED_ELEMENTS = {"script", "style", "template", "code", "kbd", "samp"}


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.lang_stack: list[str | None] = []
        self.out: list[tuple[str, str]] = []
        self.stack: list[str] = []

    def _english(self) -> bool:
        return any(lang and lang.startswith("en") for lang in self.lang_stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        void = tag in {"input", "img", "br", "hr", "meta", "link", "source", "area", "col", "wbr"}
        if not void:
            self.stack.append(tag)
            self.lang_stack.append(attrs.get("lang"))
            if tag in SKIPPED_ELEMENTS:
                self.skip += 1
        if self.skip or self._english() or (void and (attrs.get("lang") or "").startswith("en")):
            return
        where = f"<{tag}>"
        for name, value in attrs.items():
            if not value:
                continue
            if name in SHOWN_ATTRIBUTES or name.startswith(("data-msg", "data-label")):
                self.out.append((value, f"{where} {name}"))
            elif name == "value" and tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
                self.out.append((value, f"{where} value"))

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            self.lang_stack.pop()
            if top in SKIPPED_ELEMENTS:
                self.skip -= 1
            if top == tag:
                break

    def handle_data(self, data):
        if self.skip or self._english() or not data.strip():
            return
        self.out.append((data.strip(), f"<{self.stack[-1] if self.stack else '#'}>"))


def page_texts(html: str) -> list[tuple[str, str]]:
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser.out


def page_leaks(html: str) -> list[tuple[str, str, list[str]]]:
    """(text, where, leaked words) for every text of the page with a leak."""
    found = []
    for text, where in page_texts(html):
        words = leaks(text)
        if words:
            found.append((text[:120], where, words))
    return found
