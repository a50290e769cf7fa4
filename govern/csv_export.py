"""Which header row a CSV export gets: people read it in their language, machines match codes.

The header is translated when the page's language is Chinese (Excel users in the office), and
stays the stable English field names when the language is English or the request says `?lang=en`
(scripts and integrations rely on those names; the rows themselves are the same either way).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language


def wants_codes(request) -> bool:
    return request.GET.get("lang") == "en" or not (get_language() or "").startswith("zh")


def header_row(request, header: list[str], labels: Mapping[str, str]) -> list[str]:
    """`header` as field names, or each one's label (the name itself when it has none)."""
    if wants_codes(request):
        return list(header)
    return [str(labels.get(name, name)) for name in header]
