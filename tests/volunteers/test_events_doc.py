"""Every live event type the volunteers app publishes is documented in docs/events.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_volunteer_event_type_is_documented():
    source = "".join(
        (ROOT / "volunteers" / name).read_text(encoding="utf-8")
        for name in ("services.py", "duty.py", "service_records.py")
    )
    published = set(re.findall(r'"(volunteer\.[a-z_]+)"', source))
    assert len(published) >= 7
    docs = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    section = docs[docs.index("## volunteer.*") :]
    missing = [t for t in sorted(published) if f"`{t}`" not in section]
    assert not missing, f"document these in docs/events.md: {missing}"
