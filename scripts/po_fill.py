"""Fill msgstr entries of a .po file from a JSON dict {msgid: msgstr} (only empty ones unless --force).

Usage: python scripts/po_fill.py [--force] locale/zh_Hans/LC_MESSAGES/django.po locale/translations/*.json
Keeps the file in gettext's format so `makemessages` and `compilemessages` round-trip it.

A plural message (ngettext) is keyed by its singular msgid; Chinese has one form (msgstr[0]).
A message with a context (pgettext("role", "Volunteer"), {% translate "Open" context "task tab" %})
is keyed "<context>\u0004<msgid>", gettext's own way of joining the two.
"""

import json
import re
import sys

CONTEXT_SEPARATOR = "\u0004"


def unquote(block: str) -> str:
    return "".join(json.loads(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', block))


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _key(entry: str) -> tuple[str, str, str]:
    """(the mapping key, the current translation, the field that holds it) of one .po entry."""
    plural = re.search(r'^msgid ((?:".*"\n?)+)msgid_plural (?:".*"\n?)+msgstr\[0\] ((?:".*"\n?)+)', entry + "\n", re.M)
    if plural:  # Chinese has one plural form: msgstr[0], keyed by the singular
        return unquote(plural.group(1)), unquote(plural.group(2)), "msgstr[0] "
    m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', entry + "\n", re.M)
    if not m:
        return "", "", ""
    msgid = unquote(m.group(1))
    context = re.search(r'^msgctxt ((?:".*"\n?)+)msgid ', entry + "\n", re.M)
    if context:
        msgid = unquote(context.group(1)) + CONTEXT_SEPARATOR + msgid
    return msgid, unquote(m.group(2)), "msgstr "


def fill(po_path: str, mapping: dict[str, str], force: bool = False) -> int:
    with open(po_path, encoding="utf-8") as fh:
        text = fh.read()
    entries = text.split("\n\n")
    filled = 0
    out = []
    for entry in entries:
        key, msgstr, field = _key(entry)
        if key and key in mapping and (force or not msgstr):
            start = entry.index(field)
            entry = entry[:start] + field + quote(mapping[key])
            entry = re.sub(r"^#, fuzzy\n", "", entry, flags=re.M)
            entry = re.sub(r"^#, fuzzy, ", "#, ", entry, flags=re.M)
            filled += 1
        out.append(entry)
    with open(po_path, "w", encoding="utf-8") as fh:
        fh.write("\n\n".join(out))
    return filled


if __name__ == "__main__":
    force = "--force" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--force"]
    mapping: dict[str, str] = {}
    for path in args[1:]:
        with open(path, encoding="utf-8") as fh:
            mapping.update(json.load(fh))
    import os

    if os.path.exists(args[0]):
        print(f"{args[0]}: filled {fill(args[0], mapping, force)} entries")
