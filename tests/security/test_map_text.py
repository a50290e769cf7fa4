"""Issue 21 item 9: Leaflet renders a string given to bindTooltip/bindPopup as HTML, so a
volunteer's name (their own input) became markup in the board's map tooltips. Every such call in
our scripts must pass an element built with textContent, never a string expression."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"
CALL = re.compile(r"\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent)\(\s*([^,)]*)")
# Arguments that are elements made with textContent by a helper in the same file.
SAFE = re.compile(r"^(textNode|textSpan)\(|^text$")


def scripts():
    return sorted(p for p in STATIC_JS.rglob("*.js") if "vendor" not in p.parts)


def test_there_are_map_scripts_to_check():
    assert any(CALL.search(p.read_text()) for p in scripts())


@pytest.mark.parametrize("path", scripts(), ids=lambda p: str(p.relative_to(STATIC_JS)))
def test_map_tooltips_and_popups_are_given_elements(path):
    source = path.read_text()
    unsafe = [m.group(0) for m in CALL.finditer(source) if not SAFE.match(m.group(2).strip())]
    assert not unsafe, f"{path.name}: string content would be parsed as HTML: {unsafe}"
    for helper in ("textNode", "textSpan"):
        if f"{helper}(" in source:
            assert re.search(rf"function {helper}\([^)]*\)\s*\{{[^}}]*textContent", source), helper
