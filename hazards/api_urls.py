"""REST endpoints of the hazards app (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from hazards import api

urlpatterns: list = [
    path("categories/", api.CategoryListView.as_view(), name="api-categories"),
    path("hazards/", api.HazardListCreateView.as_view(), name="api-hazards"),
    path("hazards.geojson", api.HazardGeoJSONView.as_view(), name="api-hazards-geojson"),
    path("hazards/<int:pk>/", api.HazardDetailView.as_view(), name="api-hazard"),
    path("hazards/<int:pk>/triage/", api.HazardTriageView.as_view(), name="api-hazard-triage"),
    path("hazards/<int:pk>/reopen/", api.HazardReopenView.as_view(), name="api-hazard-reopen"),
    path("hazards/<int:pk>/close/", api.HazardCloseView.as_view(), name="api-hazard-close"),
    path("track/<str:tracking_code>/", api.TrackView.as_view(), name="api-track"),
]
