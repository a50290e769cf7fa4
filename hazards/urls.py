"""Pages of the hazards app (mounted at the site root by govern.urls)."""

from django.urls import path

from hazards import views

urlpatterns: list = [
    path("report/", views.report, name="hazard-report"),
    path("track/", views.track_lookup, name="hazard-track-lookup"),
    path("track/<str:code>/", views.track, name="hazard-track"),
    path("my/reports/", views.my_reports, name="hazard-my-reports"),
    path("hazards/map/", views.public_map, name="hazard-map"),
]
