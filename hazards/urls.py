"""Pages of the hazards app (mounted at the site root by govern.urls)."""

from django.urls import path

from hazards import task_views, views

urlpatterns: list = [
    path("report/", views.report, name="hazard-report"),
    path("track/", views.track_lookup, name="hazard-track-lookup"),
    path("track/<str:code>/", views.track, name="hazard-track"),
    path("my/reports/", views.my_reports, name="hazard-my-reports"),
    path("hazards/map/", views.public_map, name="hazard-map"),
    path("tasks/", task_views.task_list_page, name="hazard-tasks"),
]
