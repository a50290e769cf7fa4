"""The API's JSON parser: DRF's, refusing text that is not text.

JSON may spell a lone UTF-16 surrogate (`"\\ud800"`); Python decodes it into a str that no UTF-8
encoder accepts, so it used to fail far from the request (saving, logging, rendering): a 500 in
production and a request that never answered in DEBUG (issue 21 item 11). Refused here with a 400
that names the reason, before any view sees the data.

Deep nesting (`[[[[…` a hundred thousand times) made the decoder raise RecursionError, a 500;
anything nested deeper than any of our bodies is refused with a 400 too, whether the decoder
gave up or not, so no code after it meets a structure deep enough to exhaust the stack.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

_SURROGATE = re.compile("[\ud800-\udfff]")


# No body of this API nests more than a few levels (a list of skill objects in a profile).
MAX_DEPTH = 32


def _depth_and_surrogate(data) -> tuple[int, bool]:
    """The nesting depth of decoded JSON and whether any str (key or value) holds a surrogate;
    iterative, so nesting that the decoder accepted cannot exhaust the stack here."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return deepest, True
        elif isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_DEPTH:
                return deepest, False
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest, False


def _too_deep() -> ParseError:
    return ParseError(
        _("JSON parse error - the body is nested more than %(levels)d levels deep.") % {"levels": MAX_DEPTH}
    )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        depth, surrogate = _depth_and_surrogate(data)
        if depth > MAX_DEPTH:
            raise _too_deep()
        if surrogate:
            raise ParseError(
                _("JSON parse error - the body holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text.")
            )
        return data
