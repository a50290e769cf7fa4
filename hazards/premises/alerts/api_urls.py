"""REST endpoint of sensor alerts (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from hazards.premises.alerts import api

urlpatterns: list = [
    path("alerts/", api.AlertReceiveView.as_view(), name="api-alerts"),
]
