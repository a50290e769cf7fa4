"""Pages of sensor alerts."""

from django.urls import path

from hazards.premises.alerts import views

urlpatterns: list = [
    path("sensors/", views.sensors_page, name="alerts-sensors"),
]
