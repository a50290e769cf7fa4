"""The /tasks/ page: a grid worker's or volunteer's live task list. Thin: selectors in, template out.

`?fragment=lists` returns only the two lists, which tasks.js swaps in when a task event arrives.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from govern.live import current_event_id
from hazards.dispatch import selectors


@login_required
def task_list_page(request):
    position = current_event_id()  # before reading: anything committed meanwhile is replayed
    context = {
        "open_tasks": selectors.my_open_tasks(user=request.user),
        "history": selectors.my_task_history(user=request.user),
    }
    if request.GET.get("fragment") == "lists":
        return render(request, "hazards/_task_lists.html", context)
    context["last_event_id"] = position
    return render(request, "hazards/tasks.html", context)
