"""The live diagnostics page: what a signed-in user's live connection carries, as it happens."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from govern import live_access
from govern.live import current_event_id

RECENT = 50


@login_required
def live_status(request):
    # The position first, then the data: an event committed in between is replayed, not lost.
    position = current_event_id()
    topics = live_access.topics_for(request.user, [])
    events = live_access.recent_events(topics, limit=RECENT)
    for event in events:
        event["data_json"] = json.dumps(event["data"], ensure_ascii=False, sort_keys=True)
    return render(
        request,
        "govern/live_status.html",
        {"last_event_id": position, "topics": sorted(topics), "events": events, "recent": RECENT},
    )
