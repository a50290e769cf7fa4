"""Pages: the inbox (/me/notifications/), the preferences (/me/notifications/preferences/) and the
service worker (/sw.js: served from the root so that its scope is the whole site)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from govern.errors import DomainError
from govern.live import current_event_id
from govern.models import Channel
from govern.notify import selectors, services
from govern.notify.api import notification_json
from govern.notify.channels.push import vapid_public_key
from govern.notify.kinds import KINDS, RULES

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def inbox_page(request):
    if request.method == "POST":
        try:
            if request.POST.get("all"):
                services.notifications_read_all(actor=request.user)
            else:
                row = services.notification_read(actor=request.user, notification_id=int(request.POST.get("id") or 0))
                if request.POST.get("open"):
                    return redirect(notification_json(row)["url"])
        except (DomainError, ValueError):
            messages.error(request, _("No notification with this id."))
        return redirect("notifications")
    position = current_event_id()  # before the data: what commits in between is replayed
    rows = selectors.inbox(request.user, limit=PAGE_SIZE)
    return render(
        request,
        "govern/notifications.html",
        {
            "last_event_id": position,
            "items": [{**notification_json(r), "created_local": r.created_at} for r in rows],
            "unread": selectors.unread_count(request.user),
            # The events that may have written a row for this person: the page refreshes on them.
            "notified_types": sorted(RULES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences_page(request):
    error_field = None
    if request.method == "POST":
        channels = {
            kind: [c for c in spec.allowed if c != Channel.INBOX and request.POST.get(f"{kind}:{c}")]
            for kind, spec in KINDS.items()
        }
        try:
            services.notification_preferences_update(
                actor=request.user,
                channels=channels,
                quiet_start=request.POST.get("quiet_start") or None,
                quiet_end=request.POST.get("quiet_end") or None,
                email=request.POST.get("email", ""),
                phone=request.POST.get("phone", ""),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            error_field = exc.field
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification-preferences")
    current = selectors.preferences(request.user)
    rows = [
        {
            "key": kind,
            "label": spec.label,
            "channels": [
                {"key": c, "label": Channel(c).label, "on": c in current["channels"][kind]}
                for c in spec.allowed
                if c != Channel.INBOX
            ],
        }
        for kind, spec in KINDS.items()
    ]
    return render(
        request,
        "govern/notification_preferences.html",
        {"prefs": current, "rows": rows, "push_key": vapid_public_key(), "error_field": error_field},
        status=400 if error_field else 200,
    )


_SW = Path(settings.BASE_DIR) / "static" / "js" / "govern" / "sw.js"


@require_GET
def service_worker(request):
    response = HttpResponse(_SW.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
