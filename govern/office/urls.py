"""The back office, mounted at /office/ by govern.urls."""

from django.urls import path

from govern.office import views

app_name = "office"

urlpatterns = [
    path("", views.board, name="board"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("heatmap.json", views.heatmap_json, name="heatmap"),
    path("partners/", views.partners, name="partners"),
    path("export/hazards.csv", views.export, {"name": "hazards"}, name="export-hazards"),
    path("export/tasks.csv", views.export, {"name": "tasks"}, name="export-tasks"),
    path("export/hours.csv", views.export, {"name": "hours"}, name="export-hours"),
    path("export/ledger.csv", views.export, {"name": "ledger"}, name="export-ledger"),
]
