"""Every live event type the premises register publishes is documented in docs/events.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_premises_event_type_is_documented():
    source = (ROOT / "hazards" / "premises" / "services.py").read_text(encoding="utf-8")
    published = set(re.findall(r'publish\([^,]+, "(premises\.[a-z_]+)"', source))
    assert published == {"premises.hazard_linked"}
    docs = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    section = docs[docs.index("### premises.*") :]
    missing = [t for t in sorted(published) if f"`{t}`" not in section]
    assert not missing, f"document these in docs/events.md: {missing}"
