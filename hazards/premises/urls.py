"""Pages of the premises register (mounted at the site root by govern.urls)."""

from django.urls import path

from hazards.premises import edit_views, views

app_name = "premises"

urlpatterns = [
    path("premises/", views.premises_list_page, name="list"),
    path("premises/new/", edit_views.premises_new_page, name="new"),
    path("premises/import/", views.premises_import_page, name="import"),
    path("premises/export.csv", views.premises_export, name="export"),
    path("premises/<int:pk>/", views.premises_detail_page, name="detail"),
    path("premises/<int:pk>/edit/", edit_views.premises_edit_page, name="edit"),
    path("premises/<int:pk>/link/", views.premises_link_page, name="link"),
]
