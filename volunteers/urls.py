"""Pages of the volunteers app (mounted at the site root by govern.urls)."""

from django.urls import path

from volunteers import certificate_views, views

app_name = "volunteers"

urlpatterns = [
    path("volunteers/", views.home, name="home"),
    path("volunteers/apply/", views.apply, name="apply"),
    path("volunteers/me/", views.me, name="me"),
    path("volunteers/me/service/", views.service_record_submit, name="service-submit"),
    path("volunteers/me/certificate/", views.certificate_upload, name="certificate"),
    path("volunteers/approvals/", views.approvals, name="approvals"),
    path("volunteers/approvals/<int:pk>/row/", views.application_row, name="application-row"),
    path("volunteers/approvals/<int:pk>/decide/", views.decide, name="decide"),
    path("volunteers/<int:pk>/standing/", views.change_standing, name="change-standing"),
    path("volunteers/service-records/<int:pk>/row/", views.record_row, name="record-row"),
    path("volunteers/service-records/<int:pk>/review/", views.review_record, name="review-record"),
    path("volunteers/teams/", views.teams, name="teams"),
    path("volunteers/teams/<int:pk>/", views.team, name="team"),
    path("volunteers/me/certificates/", certificate_views.certificate_issue, name="certificate-issue"),
    path("volunteers/certificates/<str:code>/", certificate_views.certificate, name="certificate"),
    path("verify/certificate/", certificate_views.verify_lookup, name="verify-certificate-lookup"),
    path("verify/certificate/<str:code>/", certificate_views.verify, name="verify-certificate"),
]
