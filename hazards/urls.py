"""Pages of the hazards app (mounted at the site root by govern.urls)."""

from django.urls import path

from hazards.dispatch import views as dispatch_views
from hazards.reports import views as reports_views
from hazards.triage import grid_views

urlpatterns: list = [
    path("report/", reports_views.report, name="hazard-report"),
    path("track/", reports_views.track_lookup, name="hazard-track-lookup"),
    path("track/<str:code>/", reports_views.track, name="hazard-track"),
    path("track/<str:code>/feedback/", reports_views.track_feedback, name="hazard-track-feedback"),
    path("my/reports/", reports_views.my_reports, name="hazard-my-reports"),
    path("hazards/map/", reports_views.public_map, name="hazard-map"),
    path("tasks/", dispatch_views.task_list_page, name="hazard-tasks"),
    path("grid/", grid_views.grid_page, name="hazard-grid"),
    path("grid/hazards/<int:hazard_id>/<slug:action>/", grid_views.grid_action, name="hazard-grid-action"),
]
