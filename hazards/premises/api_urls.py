"""REST endpoints of the premises register (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from hazards.premises import api, link_api

urlpatterns = [
    path("premises/", api.PremisesListCreateView.as_view(), name="api-premises"),
    path("premises/nearby/", link_api.NearbyPremisesView.as_view(), name="api-premises-nearby"),
    path("hazards/<int:pk>/premises/", link_api.HazardPremisesView.as_view(), name="api-hazard-premises"),
    path("premises/<int:pk>/", api.PremisesDetailView.as_view(), name="api-premises-detail"),
]
