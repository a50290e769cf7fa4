"""The home page, built from the person's roles (govern.navigation): each role's work one tap
away. A volunteer finds the duty switch and the open tasks on it, so going on duty and taking an
offer need no second screen."""

from __future__ import annotations

from django.shortcuts import render

from govern.live import current_event_id
from govern.navigation import Navigation
from govern.roles import VOLUNTEER


def _volunteer_context(user) -> dict:
    from hazards.dispatch.selectors import my_open_tasks, my_task_history
    from volunteers import conf
    from volunteers.selectors import volunteer_for_user

    volunteer = volunteer_for_user(user)
    if volunteer is None:
        return {}
    max_age_s = int(conf.position_max_age().total_seconds())
    return {
        "volunteer": volunteer,
        "position_max_age_min": max_age_s // 60,
        "heartbeat_s": max(30, min(300, max_age_s // 3)),
        "open_tasks": my_open_tasks(user=user),
        "history": my_task_history(user=user),
    }


def home(request):
    nav = Navigation(request.user)
    context = {"nav": nav}
    if VOLUNTEER in nav.roles:
        context["last_event_id"] = current_event_id()  # before reading: anything later is replayed
        context.update(_volunteer_context(request.user))
    return render(request, "govern/home.html", context)
