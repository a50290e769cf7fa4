"""REST endpoints of the volunteers app (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from volunteers import api

urlpatterns = [
    path("volunteers/", api.VolunteerListCreateView.as_view(), name="api-volunteers"),
    path("volunteers/me/", api.MeView.as_view(), name="api-volunteers-me"),
    path("volunteers/me/duty/", api.DutyView.as_view(), name="api-volunteers-duty"),
    path("volunteers/me/certificates/", api.CertificatePhotoView.as_view(), name="api-volunteers-certificate"),
    path("volunteers/me/service-records/", api.MyServiceRecordsView.as_view(), name="api-volunteers-my-records"),
    path("volunteers/skills/", api.SkillListView.as_view(), name="api-volunteers-skills"),
    path("volunteers/teams/", api.TeamListView.as_view(), name="api-volunteers-teams"),
    path("volunteers/teams/<int:pk>/", api.TeamDetailView.as_view(), name="api-volunteers-team"),
    path("volunteers/teams/<int:pk>/members/", api.TeamMembersView.as_view(), name="api-volunteers-team-members"),
    path("volunteers/service-records/", api.ReviewQueueView.as_view(), name="api-volunteers-review-queue"),
    path(
        "volunteers/service-records/<int:pk>/approve/",
        api.ServiceRecordApproveView.as_view(),
        name="api-volunteers-record-approve",
    ),
    path(
        "volunteers/service-records/<int:pk>/reject/",
        api.ServiceRecordRejectView.as_view(),
        name="api-volunteers-record-reject",
    ),
    path("volunteers/<int:pk>/", api.VolunteerDetailView.as_view(), name="api-volunteer"),
    path("volunteers/<int:pk>/approve/", api.ApproveView.as_view(), name="api-volunteer-approve"),
    path("volunteers/<int:pk>/reject/", api.RejectView.as_view(), name="api-volunteer-reject"),
    path("volunteers/<int:pk>/suspend/", api.SuspendView.as_view(), name="api-volunteer-suspend"),
    path("volunteers/<int:pk>/review-skills/", api.SkillsReviewView.as_view(), name="api-volunteer-review-skills"),
    path("volunteers/<int:pk>/reinstate/", api.ReinstateView.as_view(), name="api-volunteer-reinstate"),
]
