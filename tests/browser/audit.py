"""Checks a loaded page the way a person and a screen reader meet it: axe-core's accessibility
rules (vendored, tests/browser/vendor/axe-core) and, for a Chinese page, the English words it
shows after its scripts ran (tests/latin_words.py decides what is a leak)."""

from __future__ import annotations

from pathlib import Path

from tests.latin_words import leaks

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")

# Every rule axe-core ships except the experimental ones (its default set): WCAG 2.x A and AA and
# the best practices.
AXE_OPTIONS = {"resultTypes": ["violations"]}

# What the page shows, as (text, where): visible text nodes (not inside code, English-marked parts
# or the language switch), and the attributes a browser shows or reads aloud. The page's <title> too.
VISIBLE_TEXTS_JS = """
() => {
  const out = [["" + document.title, "<title>"]];
  const skip = (el) => el.closest("script, style, template, code, kbd, samp, [lang^=en]");
  const shown = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : !!el.offsetParent;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    const el = node.parentElement;
    if (!text || !el || skip(el) || !shown(el)) continue;
    out.push([text, "<" + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + ">"]);
  }
  for (const el of document.body.querySelectorAll("[aria-label], [title], [alt], [placeholder]")) {
    if (skip(el)) continue;
    for (const name of ["aria-label", "title", "alt", "placeholder"]) {
      const value = el.getAttribute(name);
      if (value) out.push([value, "<" + el.tagName.toLowerCase() + "> " + name]);
    }
  }
  return out;
}
"""


def axe_violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SOURCE)  # the context bypasses the page's CSP for this
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    lines = []
    for violation in result["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return lines


def english_leaks(page) -> list[str]:
    found = []
    for text, where in page.evaluate(VISIBLE_TEXTS_JS):
        words = leaks(text)
        if words:
            found.append(f"{where}: {words} in {text[:100]!r}")
    return found
