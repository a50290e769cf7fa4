"""The API's JSON parser: DRF's, refusing text that is not text.

JSON may spell a lone UTF-16 surrogate (`"\\ud800"`); Python decodes it into a str that no UTF-8
encoder accepts, so it used to fail far from the request (saving, logging, rendering): a 500 in
production and a request that never answered in DEBUG (issue 21 item 11). Refused here with a 400
that names the reason, before any view sees the data.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(data) -> bool:
    """Any str (key or value) of decoded JSON holding a surrogate; iterative, so deep nesting that
    the decoder accepted cannot exhaust the stack here."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_surrogate(data):
            raise ParseError(
                _("JSON parse error - the body holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text.")
            )
        return data
