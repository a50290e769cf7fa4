"""REST endpoints of the premises register (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from hazards.premises import api

urlpatterns = [
    path("premises/", api.PremisesListCreateView.as_view(), name="api-premises"),
    path("premises/<int:pk>/", api.PremisesDetailView.as_view(), name="api-premises-detail"),
]
