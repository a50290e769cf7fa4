"""The back office, mounted at /office/ by govern.urls."""

from django.urls import path

from govern.office import hazard_views, views

app_name = "office"

urlpatterns = [
    path("", views.board, name="board"),
    path("hazards/<int:hazard_id>/", hazard_views.hazard_detail, name="hazard"),
    path("hazards/<int:hazard_id>/<slug:action>/", hazard_views.hazard_action, name="hazard-action"),
    path("queues/", views.loop_queues, name="loop-queues"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("heatmap.json", views.heatmap_json, name="heatmap"),
    path("partners/", views.partners, name="partners"),
    path("export/kpis.csv", views.export_kpis, name="export-kpis"),
    path("export/hazards.csv", views.export, {"name": "hazards"}, name="export-hazards"),
    path("export/tasks.csv", views.export, {"name": "tasks"}, name="export-tasks"),
    path("export/hours.csv", views.export, {"name": "hours"}, name="export-hours"),
    path("export/ledger.csv", views.export, {"name": "ledger"}, name="export-ledger"),
]
