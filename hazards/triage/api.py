"""REST API of triage: thin views over hazards.triage.services; each answers with the hazard's detail.

POST /api/v1/hazards/{id}/triage/     accept | reject | duplicate
POST /api/v1/hazards/{id}/reopen/     rectified/verified → reopened
POST /api/v1/hazards/{id}/close/      verified → closed
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from hazards.core.clean import NOTE_MAX
from hazards.models import Severity
from hazards.reports import selectors
from hazards.reports.api import HazardDetailSerializer, hazard_errors
from hazards.triage import services


class TriageSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=services.TRIAGE_DECISIONS)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    duplicate_of = serializers.CharField(
        required=False, allow_blank=True, help_text="id or tracking code of the original"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")
    category = serializers.CharField(
        required=False, allow_blank=True, help_text="accept only: correct the category (slug)"
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")


def _detail(request, hazard_id: int) -> Response:
    hazard = selectors.hazard_get(user=request.user, hazard_id=hazard_id)
    return Response(HazardDetailSerializer(hazard, context={"request": request}).data)


class HazardTriageView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Triage a hazard",
        description=(
            "`accept` (submitted → triaged; optional `severity` and `category`), `reject` (a `note` is required "
            "and shown to the reporter) or `duplicate` (`duplicate_of`: the original's id or tracking code; the "
            "duplicate's reporter then follows the original). Dispatchers may do all three; grid workers may "
            "accept and mark duplicates in their own grids. The note appears on the public tracking page."
        ),
        request=TriageSerializer,
        responses={200: HazardDetailSerializer, **hazard_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = TriageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.hazard_triage(
            hazard_id=pk,
            actor=request.user,
            decision=values["decision"],
            severity=values.get("severity") or None,
            duplicate_of=values.get("duplicate_of") or None,
            note=values.get("note", ""),
            category_slug=values.get("category") or None,
        )
        return _detail(request, pk)


class HazardReopenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Reopen a hazard (refuse the fix)",
        description="Dispatchers only: rectified or verified → reopened; `note` (the reason) is required.",
        request=NoteSerializer,
        responses={200: HazardDetailSerializer, **hazard_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        selectors.hazard_get(user=request.user, hazard_id=pk)  # 404 before 403 for hazards you cannot see
        services.hazard_reopen(hazard_id=pk, actor=request.user, note=data.validated_data["note"])
        return _detail(request, pk)


class HazardCloseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Close a verified hazard",
        description="Dispatchers only: verified → closed.",
        request=NoteSerializer,
        responses={200: HazardDetailSerializer, **hazard_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        selectors.hazard_get(user=request.user, hazard_id=pk)
        services.hazard_close(hazard_id=pk, actor=request.user, note=data.validated_data["note"])
        return _detail(request, pk)
