"""Pages of sensor alerts."""

from django.urls import path

from hazards.premises.alerts import key_views, views

urlpatterns: list = [
    path("sensors/", views.sensors_page, name="alerts-sensors"),
    path("premises/<int:pk>/keys/", key_views.sensor_keys_page, name="alerts-sensor-keys"),
    path(
        "premises/<int:pk>/keys/<int:key_id>/revoke/",
        key_views.sensor_key_revoke_page,
        name="alerts-sensor-key-revoke",
    ),
]
