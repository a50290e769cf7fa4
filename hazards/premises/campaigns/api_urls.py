"""REST endpoints of inspection campaigns (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from hazards.premises.campaigns import api

urlpatterns: list = [
    path("campaigns/", api.CampaignListCreateView.as_view(), name="api-campaigns"),
    path("campaigns/<int:pk>/", api.CampaignDetailView.as_view(), name="api-campaign"),
    path("campaigns/<int:pk>/activate/", api.CampaignActivateView.as_view(), name="api-campaign-activate"),
    path("campaigns/<int:pk>/close/", api.CampaignCloseView.as_view(), name="api-campaign-close"),
    path("campaigns/<int:pk>/assign/", api.CampaignAssignView.as_view(), name="api-campaign-assign"),
    path("campaigns/<int:pk>/unassign/", api.CampaignUnassignView.as_view(), name="api-campaign-unassign"),
    path("campaigns/<int:pk>/premises/", api.CampaignPremisesView.as_view(), name="api-campaign-premises"),
    path("campaigns/<int:pk>/findings/", api.CampaignFindingsView.as_view(), name="api-campaign-findings"),
    path("inspections/", api.InspectionStartView.as_view(), name="api-inspections"),
    path("inspections/mine/", api.MyInspectionsView.as_view(), name="api-inspections-mine"),
    path("inspections/<int:pk>/", api.InspectionDetailView.as_view(), name="api-inspection"),
    path("inspections/<int:pk>/results/", api.InspectionRecordView.as_view(), name="api-inspection-results"),
    path("inspections/<int:pk>/submit/", api.InspectionSubmitView.as_view(), name="api-inspection-submit"),
]
