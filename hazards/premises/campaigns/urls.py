"""Pages of inspection campaigns (mounted at the site root by govern.urls)."""

from django.urls import path

from hazards.premises.campaigns import views

app_name = "campaigns"

urlpatterns: list = [
    path("inspections/", views.my_inspections, name="my-inspections"),
    path("inspections/start/", views.inspection_start, name="inspection-start"),
    path("inspections/<int:pk>/", views.inspection_page, name="inspection"),
    path("office/campaigns/", views.campaign_list, name="office-campaigns"),
    path("office/campaigns/<int:pk>/", views.campaign_detail, name="office-campaign"),
]
