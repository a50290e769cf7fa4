"""JSON and XML rendering of Open311 documents, and the error list shape.

A document is plain data (dicts, lists, str, numbers, bools, None). XML needs the element names
of list items, given per list key (`services` -> `service`, ...), as the GeoReport v2 spec shows.
"""

from __future__ import annotations

import json
import math
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")

# Child element name for each list-valued element.
XML_ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


# Characters XML 1.0 cannot carry at all (not even escaped): C0 controls but tab/LF/CR, lone
# surrogates, U+FFFE/U+FFFF. A report's text containing one must not make the document invalid.
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return XML_INVALID_RE.sub("\ufffd", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        item_name = XML_ITEM_NAMES.get(name, "item")
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = _text(value)


def to_xml(root: str, document) -> bytes:
    """`root` is the document element: a list becomes repeated children, a dict child elements."""
    element = ET.Element(root)
    if isinstance(document, list):
        item_name = XML_ITEM_NAMES.get(root, "item")
        for item in document:
            _append(element, item_name, item)
    else:
        for key, value in document.items():
            _append(element, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def render(fmt: str, root: str, document, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(to_xml(root, document), status=status, content_type=XML_TYPE)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode("utf-8"), status=status, content_type=JSON_TYPE)


class Open311Error(Exception):
    """One or more `{code, description}` errors answered with one HTTP status."""

    def __init__(self, status: int, description: str, *more: str, retry_after: float | None = None):
        super().__init__(description)
        self.status = status
        self.descriptions = [description, *more]
        self.retry_after = retry_after

    def document(self) -> list[dict]:
        return [{"code": self.status, "description": d} for d in self.descriptions]


def render_error(fmt: str, error: Open311Error):
    response = render(fmt if fmt in FORMATS else "json", "errors", error.document(), status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    return response
