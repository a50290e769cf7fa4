"""REST API of task dispatch: thin views over hazards.dispatch.

GET  /api/v1/hazards/{id}/candidates/   who could go, best first (distance_m, eta_s)
POST /api/v1/hazards/{id}/dispatch/     offer to `assignee`, or to the best candidate(s)
GET  /api/v1/tasks/                     mine (grid workers: also their grids'; dispatchers: all)
GET  /api/v1/tasks/{id}/
POST /api/v1/tasks/{id}/seen/                   the offer's card was shown (offer ladder)
POST /api/v1/tasks/{id}/accept/ | decline/ | start/ | complete/ | verify/ | cancel/
POST /api/v1/tasks/{id}/reassign/               withdraw an open task and offer it to `assignee`
"""

from __future__ import annotations

from django.core.exceptions import TooManyFilesSent
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import RefSerializer, UserRefSerializer, error_responses
from govern.errors import InvalidInput
from govern.media.checks import too_many_files_sentence
from govern.parsers import JSONParser
from hazards import conf
from hazards.core import policy
from hazards.core.clean import NOTE_MAX
from hazards.core.serializers import PhotoSerializer
from hazards.dispatch import banding, selectors, services
from hazards.dispatch.candidates import rank_candidates
from hazards.dispatch.filters import TaskFilter
from hazards.dispatch.notify import task_seen
from hazards.dispatch.reassign import task_reassign
from hazards.models import PROOF_FLAGS, PhotoStatus, Task


def _errors(*codes: int) -> dict:
    return error_responses(
        *codes,
        e404="No such hazard or task (or not visible to you)",
        e409="Not possible in the current state (e.g. someone else accepted first)",
    )


# --- serializers -----------------------------------------------------------------------------------


class CandidateSerializer(serializers.Serializer):
    user = UserRefSerializer()
    kind = serializers.CharField(help_text="grid_worker or volunteer")
    distance_m = serializers.FloatField(
        help_text="metres; exact for dispatchers, else rounded up to HAZARD_CANDIDATE_DISTANCE_BAND_M (250)"
    )
    eta_s = serializers.IntegerField(
        help_text="distance over the speed of `mode` (hazards.conf travel modes); non-dispatchers: from the "
        "banded distance, whole minutes"
    )
    mode = serializers.CharField(help_text="walking, ebike or car (by distance)")
    position_source = serializers.CharField(help_text="duty: a fresh duty position; grid_centre: the grid's centre")
    active_tasks = serializers.IntegerField()
    max_active_tasks = serializers.IntegerField()
    team = RefSerializer(allow_null=True)


class CandidatesSerializer(serializers.Serializer):
    hazard = serializers.IntegerField()
    results = CandidateSerializer(many=True)


class TaskHazardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    category_name = serializers.CharField(source="category.name")
    category_name_en = serializers.CharField(source="category.name_en")
    icon = serializers.CharField(source="category.icon")
    severity = serializers.CharField()
    description = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    address = serializers.CharField()
    grid = RefSerializer()


class ProofCheckSerializer(serializers.Serializer):
    photo = serializers.IntegerField(source="pk", help_text="the after-photo's id (as in `photos`)")
    flags = serializers.ListField(
        source="proof_flags",
        child=serializers.ChoiceField(choices=list(PROOF_FLAGS)),
        help_text="the checks it failed: `same_as_report` (the report's own picture), `reused` (another "
        "task's after-photo of the last 180 days), `taken_outside_window` (EXIF time outside accept → done), "
        "`far_from_hazard` (EXIF position too far), `no_camera_metadata` (no camera information at all)",
    )
    report_phash_distance = serializers.IntegerField(
        allow_null=True, help_text="perceptual-hash bits (of 64) to the closest report photo; null without one"
    )
    reused_from_task = serializers.IntegerField(
        source="reused_from_task_id", allow_null=True, help_text="the task whose after-photo it matches"
    )
    taken_at = serializers.DateTimeField(allow_null=True, help_text="EXIF capture time; null when absent")
    gps_distance_m = serializers.FloatField(
        allow_null=True, help_text="metres from the hazard where it was taken (EXIF); the position is never kept"
    )


class TaskSerializer(serializers.ModelSerializer):
    hazard = TaskHazardSerializer()
    assignee = serializers.SerializerMethodField()
    verified_by = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    proof_flagged = serializers.SerializerMethodField()
    proof_checks = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "status",
            "hazard",
            "assignee",
            "assignee_kind",
            "distance_m",
            "offered_at",
            "accept_deadline",
            "due_at",
            "overdue",
            "accepted_at",
            "started_at",
            "completed_at",
            "ended_at",
            "verified_at",
            "verified_by",
            "instructions",
            "note",
            "reason",
            "photos",
            "proof_flagged",
            "proof_checks",
            "updated_at",
        ]

    @extend_schema_field(UserRefSerializer)
    def get_assignee(self, task) -> dict:
        return {"id": task.assignee_id, "display_name": task.assignee.display_name or task.assignee.username}

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_verified_by(self, task) -> dict | None:
        user = task.verified_by
        return {"id": user.pk, "display_name": user.display_name or user.username} if user else None

    def _staff(self, task) -> bool:
        request = self.context.get("request")
        return request is not None and policy.sees_proof_checks(request.user, task)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_proof_flagged(self, task) -> bool | None:
        """Staff only (dispatchers, the grid's workers; never the assignee): null for everyone else."""
        return task.proof_flagged if self._staff(task) else None

    @extend_schema_field(ProofCheckSerializer(many=True, allow_null=True))
    def get_proof_checks(self, task) -> list | None:
        """The proof-of-fix checks of the ready after-photos; staff only, null for everyone else."""
        if not self._staff(task):
            return None
        ready = [photo for photo in task.photos.all() if photo.status == PhotoStatus.READY]
        return ProofCheckSerializer(ready, many=True).data


class DispatchSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        required=False, allow_null=True, help_text="user id; omit for the best candidate"
    )
    broadcast = serializers.IntegerField(
        required=False, default=1, min_value=1, help_text="without assignee: offer to this many best candidates at once"
    )
    instructions = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")


class DispatchedSerializer(serializers.Serializer):
    hazard = serializers.IntegerField()
    status = serializers.CharField()
    tasks = TaskSerializer(many=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")


class ReassignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(help_text="user id: this grid's worker or an approved volunteer")
    reason = serializers.CharField(max_length=NOTE_MAX, help_text="required: kept on the withdrawn task")


class CompleteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX, allow_blank=True)
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        help_text="1–6 after-photos (JPEG, PNG, WebP, HEIC/HEIF); repeat the field",
    )


class VerifySerializer(serializers.Serializer):
    approved = serializers.BooleanField()
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX,
        default="",
        help_text="required when approved is false: the responder reads it",
    )


# --- views -----------------------------------------------------------------------------------------


def _task_response(request, task_id: int, code=status.HTTP_200_OK) -> Response:
    task = selectors.task_get(user=request.user, task_id=task_id)
    return Response(TaskSerializer(task, context={"request": request}).data, status=code)


class HazardCandidatesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Rank responders for a hazard",
        description=(
            "The grid's workers (always rostered; position from their duty position when they are also an on-duty "
            "volunteer, else the grid's centre) and approved on-duty volunteers with a fresh position within "
            "HAZARD_CANDIDATE_RADIUS_M holding the category's required skill; without people who declined this "
            "hazard or let its offer expire, who already hold it, or who are at their task limit. Best (lowest "
            "eta_s) first. Dispatchers, and grid workers for their grids (who see banded distances, never exact ones)."
        ),
        responses={200: CandidatesSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request, pk: int):
        hazard = selectors.hazard_for_dispatch(user=request.user, hazard_id=pk)
        ranked = banding.for_viewer(rank_candidates(hazard, limit=conf.candidate_limit()), viewer=request.user)
        results = [{**vars(c), "user": c.user} for c in ranked]
        return Response(CandidatesSerializer({"hazard": hazard.pk, "results": results}).data)


class HazardDispatchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Dispatch a hazard",
        description=(
            "Offer a triaged (or reopened) hazard to `assignee` (a grid worker of its grid or an approved volunteer), "
            "or without one to the best candidate — or the best `broadcast` candidates at once, the first to accept "
            "wins. The hazard becomes dispatched; each assignee gets `task.offered` live. 400 with a sentence when "
            "nobody is available."
        ),
        request=DispatchSerializer,
        responses={201: DispatchedSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = DispatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        outcome = services.task_dispatch(
            hazard_id=pk,
            actor=request.user,
            assignee_id=values.get("assignee"),
            broadcast=values.get("broadcast") or 1,
            instructions=values.get("instructions", ""),
        )
        tasks = list(selectors.task_queryset().filter(pk__in=[t.pk for t in outcome.tasks]).order_by("id"))
        body = {"hazard": outcome.hazard.pk, "status": outcome.hazard.status, "tasks": tasks}
        return Response(DispatchedSerializer(body, context={"request": request}).data, status=status.HTTP_201_CREATED)


class TaskListView(generics.ListAPIView):
    """Tasks: your own; grid workers also their grids'; dispatchers every task. Constant queries."""

    permission_classes = [IsAuthenticated]
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        return selectors.task_list(user=self.request.user)

    @extend_schema(summary="List tasks", responses={200: TaskSerializer(many=True), **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TaskDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One task", responses={200: TaskSerializer, **_errors(401, 404)})
    def get(self, request, pk: int):
        return _task_response(request, pk)


class TaskAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Accept an offer",
        description="First come wins: when an offer went to several people, the others get 409.",
        request=None,
        responses={200: TaskSerializer, **_errors(401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        services.task_accept(task_id=pk, actor=request.user)
        return _task_response(request, pk)


class TaskSeenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The task's card was shown to its person",
        description="The page calls it when an offer's card is on screen: the offer ladder then sends no push for it.",
        request=None,
        responses={204: None, **_errors(401, 404)},
    )
    def post(self, request, pk: int):
        task_seen(task_id=pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskDeclineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Decline an offer (or give back an accepted task)",
        description="`reason` is optional for an offer, required for an accepted task. The hazard goes to the next candidate.",
        request=ReasonSerializer,
        responses={200: TaskSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_decline(task_id=pk, actor=request.user, reason=data.validated_data["reason"])
        return _task_response(request, pk)


class TaskStartView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Start work (on site)", request=None, responses={200: TaskSerializer, **_errors(401, 403, 404, 409)}
    )
    def post(self, request, pk: int):
        services.task_start(task_id=pk, actor=request.user)
        return _task_response(request, pk)


class TaskCompleteView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Complete a task with after-photos",
        description="Multipart: `note` (what was done) and 1–6 `photos`. The hazard becomes rectified. Any refused "
        "photo refuses the whole request (400 naming it) and nothing is stored. The photos are re-encoded "
        "after the commit (`status: processing` until then; a `task.updated` event follows).",
        request={"multipart/form-data": CompleteSerializer},
        responses={200: TaskSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        try:
            payload, photos = request.data, request.FILES.getlist("photos")
        except TooManyFilesSent:
            raise InvalidInput(
                too_many_files_sentence(limits=conf.photo_limits()), field="photos", code="too_many_photos"
            )
        services.task_complete(task_id=pk, actor=request.user, note=payload.get("note", ""), photos=photos)
        return _task_response(request, pk)


class TaskVerifyView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Verify (or refuse) a done task",
        description=(
            "Dispatchers; grid workers of the hazard's grid for low severity, unless the fix's proof is flagged "
            "(`proof_flagged`: an after-photo failed a check; 403 with a sentence), and not while its after-photos "
            "are still being checked (409 `photos_processing`). `approved: true` → the hazard is "
            "verified, points go to the assignee (task_verified × severity) and the first reporter "
            "(report_verified), volunteers get service minutes. `approved: false` with a `note` → the hazard is "
            "reopened and the task goes back to the assignee (in progress) with the note as reason."
        ),
        request=VerifySerializer,
        responses={200: TaskSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.task_verify(task_id=pk, actor=request.user, approved=values["approved"], note=values["note"])
        return _task_response(request, pk)


class TaskCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel a task",
        description="Dispatchers and the grid's workers withdraw an unfinished task; `reason` is required.",
        request=ReasonSerializer,
        responses={200: TaskSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_cancel(task_id=pk, actor=request.user, reason=data.validated_data["reason"])
        return _task_response(request, pk)


class TaskReassignView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Reassign an open task",
        description=(
            "Dispatchers and the grid's workers withdraw an offered, accepted or in-progress task (`reason` "
            "required, kept on it) and offer the hazard to `assignee` in the same transaction; the hazard is "
            "dispatched. Answers with the new offer. The same person again, or a task no longer open, is a 409."
        ),
        request=ReassignSerializer,
        responses={201: TaskSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        task = task_reassign(task_id=pk, actor=request.user, assignee_id=values["assignee"], reason=values["reason"])
        return _task_response(request, task.pk, code=status.HTTP_201_CREATED)
