"""The sensors page: an enterprise's safety officer (or a dispatcher) sees the sensors, their open
hazards and the latest alerts, live (`sensor.alert` on their user topic / `dispatch`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from govern.live import current_event_id
from govern.roles import is_dispatcher
from hazards.premises.alerts import selectors


@login_required
def sensors_page(request):
    position = current_event_id()  # before reading: anything committed meanwhile is replayed
    enterprises = list(selectors.enterprises_for_user(user=request.user))
    context = {
        "enterprises": enterprises,
        "sensors": list(selectors.sensor_list(user=request.user)),
        "recent": selectors.alert_recent(user=request.user),
        "last_event_id": position,
        "is_dispatcher": is_dispatcher(request.user),
    }
    status = 200 if enterprises or context["is_dispatcher"] else 403
    return render(request, "premises/alerts/sensors.html", context, status=status)
