"""REST endpoints of the hazards app (mounted under /api/v1/ by govern.urls)."""

from django.urls import path

from hazards.dispatch import api as dispatch_api
from hazards.reports import api as reports_api
from hazards.reports import feedback_api
from hazards.triage import api as triage_api

urlpatterns: list = [
    path("categories/", reports_api.CategoryListView.as_view(), name="api-categories"),
    path("hazards/", reports_api.HazardListCreateView.as_view(), name="api-hazards"),
    path("hazards.geojson", reports_api.HazardGeoJSONView.as_view(), name="api-hazards-geojson"),
    path("hazards/<int:pk>/", reports_api.HazardDetailView.as_view(), name="api-hazard"),
    path("hazards/<int:pk>/triage/", triage_api.HazardTriageView.as_view(), name="api-hazard-triage"),
    path("hazards/<int:pk>/reopen/", triage_api.HazardReopenView.as_view(), name="api-hazard-reopen"),
    path("hazards/<int:pk>/close/", triage_api.HazardCloseView.as_view(), name="api-hazard-close"),
    path("hazards/<int:pk>/candidates/", dispatch_api.HazardCandidatesView.as_view(), name="api-hazard-candidates"),
    path("hazards/<int:pk>/dispatch/", dispatch_api.HazardDispatchView.as_view(), name="api-hazard-dispatch"),
    path("tasks/", dispatch_api.TaskListView.as_view(), name="api-tasks"),
    path("tasks/<int:pk>/", dispatch_api.TaskDetailView.as_view(), name="api-task"),
    path("tasks/<int:pk>/accept/", dispatch_api.TaskAcceptView.as_view(), name="api-task-accept"),
    path("tasks/<int:pk>/seen/", dispatch_api.TaskSeenView.as_view(), name="api-task-seen"),
    path("tasks/<int:pk>/decline/", dispatch_api.TaskDeclineView.as_view(), name="api-task-decline"),
    path("tasks/<int:pk>/start/", dispatch_api.TaskStartView.as_view(), name="api-task-start"),
    path("tasks/<int:pk>/complete/", dispatch_api.TaskCompleteView.as_view(), name="api-task-complete"),
    path("tasks/<int:pk>/verify/", dispatch_api.TaskVerifyView.as_view(), name="api-task-verify"),
    path("tasks/<int:pk>/cancel/", dispatch_api.TaskCancelView.as_view(), name="api-task-cancel"),
    path("tasks/<int:pk>/reassign/", dispatch_api.TaskReassignView.as_view(), name="api-task-reassign"),
    path("track/<str:tracking_code>/", reports_api.TrackView.as_view(), name="api-track"),
    path("track/<str:tracking_code>/feedback/", feedback_api.TrackFeedbackView.as_view(), name="api-track-feedback"),
]
