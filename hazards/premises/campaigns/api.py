"""REST API of inspection campaigns (issue 12): thin views over campaigns.services, .inspections and
.selectors; the shapes are in campaigns.serializers.

GET  /api/v1/campaigns/                    dispatchers: all; inspectors: theirs       POST: create (dispatchers)
GET  /api/v1/campaigns/{id}/               with progress counters
POST /api/v1/campaigns/{id}/activate/ | close/ | assign/ | unassign/
GET  /api/v1/campaigns/{id}/premises/      the premises, their inspector and status
GET  /api/v1/campaigns/{id}/findings/      the hazards the campaign raised
GET  /api/v1/inspections/mine/             my premises to inspect (active campaigns)
POST /api/v1/inspections/                  start (or resume) the inspection of one campaign premises
GET  /api/v1/inspections/{id}/             the checklist with each item's result
POST /api/v1/inspections/{id}/results/     record one item (multipart with a photo for a failure)
POST /api/v1/inspections/{id}/submit/      failed items become hazards; idempotent
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import TooManyFilesSent
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import error_responses
from govern.errors import InvalidInput
from govern.media.checks import too_many_files_sentence
from govern.parsers import JSONParser
from hazards import conf
from hazards.premises.campaigns import inspections, selectors, services
from hazards.premises.campaigns.serializers import (
    AssignSerializer,
    CampaignCreateSerializer,
    CampaignSerializer,
    EntrySerializer,
    FindingSerializer,
    InspectionSerializer,
    RecordSerializer,
    StartSerializer,
    SubmittedSerializer,
    UnassignSerializer,
)
from hazards.premises.models import Campaign, CampaignPremises, Inspection, InspectionResult


def _errors(*codes: int) -> dict:
    return error_responses(
        *codes,
        e404="No such campaign or inspection (or not visible to you)",
        e409="Not possible in the current state (a draft or closed campaign, a submitted inspection, premises "
        "someone else inspects, premises already submitted)",
    )


# --- views -----------------------------------------------------------------------------------------


def _campaign_response(request, campaign_id: int, code=status.HTTP_200_OK) -> Response:
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    return Response(CampaignSerializer(campaign).data, status=code)


def _inspection_response(request, inspection_id: int, code=status.HTTP_200_OK) -> Response:
    inspection = selectors.inspection_get(user=request.user, inspection_id=inspection_id)
    return Response(InspectionSerializer(inspection, context={"request": request}).data, status=code)


class CampaignListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CampaignSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        return selectors.campaign_list(user=self.request.user)

    @extend_schema(
        summary="List campaigns",
        description="Dispatchers see every campaign; inspectors the campaigns "
        "with premises assigned to them. Constant queries.",
        responses={200: CampaignSerializer(many=True), **_errors(401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a campaign",
        description="Dispatchers. Selects the active premises by grid, street and type (any value within a dimension, "
        "every given dimension); at least one dimension. Every selected type needs an active checklist. "
        "The campaign starts as a draft: assign premises, then activate it.",
        request=CampaignCreateSerializer,
        responses={201: CampaignSerializer, **_errors(400, 401, 403)},
    )
    def post(self, request):
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        campaign = services.campaign_create(
            actor=request.user,
            name=values["name"],
            description=values["description"],
            starts_on=values.get("starts_on"),
            ends_on=values.get("ends_on"),
            grid_ids=values["grids"],
            streets=values["streets"],
            type_slugs=values["types"],
        )
        return _campaign_response(request, campaign.pk, status.HTTP_201_CREATED)


class CampaignDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One campaign with its progress", responses={200: CampaignSerializer, **_errors(401, 404)})
    def get(self, request, pk: int):
        return _campaign_response(request, pk)


class CampaignActivateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Start a draft campaign",
        request=None,
        responses={200: CampaignSerializer, **_errors(401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        services.campaign_activate(campaign_id=pk, actor=request.user)
        return _campaign_response(request, pk)


class CampaignCloseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Close a campaign",
        description="Nothing more can be started, recorded or submitted.",
        request=None,
        responses={200: CampaignSerializer, **_errors(401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        services.campaign_close(campaign_id=pk, actor=request.user)
        return _campaign_response(request, pk)


def _entries_response(request, entries) -> Response:
    """The entries a write changed, read again with what the serializer needs (constant queries)."""
    rows = selectors.entry_queryset().filter(pk__in=[e.pk for e in entries]).order_by("id")
    return Response(EntrySerializer(rows, many=True, context={"request": request}).data)


class CampaignAssignView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Assign premises to an inspector",
        description="Dispatchers. A grid worker only inspects premises in their own grids; an approved volunteer any. "
        "Pending premises may be reassigned; premises already started by someone else are a 409. The "
        "inspector gets `campaign.assigned` live.",
        request=AssignSerializer,
        responses={200: EntrySerializer(many=True), **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entries = services.campaign_assign(
            campaign_id=pk,
            actor=request.user,
            inspector_id=data.validated_data["inspector"],
            premises_ids=data.validated_data["premises"],
        )
        return _entries_response(request, entries)


class CampaignUnassignView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Take premises back from their inspector",
        description="Dispatchers. The premises become unassigned (pending, no inspector), to be assigned again. All or "
        "nothing: premises not in the campaign are a 400 (`premises`); premises already submitted a 409 "
        "(code `submitted`); premises whose inspection was started a 409 (code `in_progress`) unless "
        "`discard_started` is true, which deletes the unfinished checklist. Premises without an "
        "inspector are left as they are. The former inspector gets `campaign.unassigned` live, the office "
        "`campaign.progress`. Answers every named premises' entry.",
        request=UnassignSerializer,
        responses={200: EntrySerializer(many=True), **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = UnassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        entries = services.campaign_unassign(
            campaign_id=pk,
            actor=request.user,
            premises_ids=values["premises"],
            reason=values["reason"],
            discard_started=values["discard_started"],
        )
        return _entries_response(request, entries)


class CampaignPremisesView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CampaignPremises.objects.none()
        return selectors.campaign_entries(user=self.request.user, campaign_id=self.kwargs["pk"])

    @extend_schema(
        summary="The premises of a campaign",
        description="With inspector, status and findings; inspectors see their own. Constant queries.",
        responses={200: EntrySerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CampaignFindingsView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = FindingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InspectionResult.objects.none()
        return selectors.campaign_findings(user=self.request.user, campaign_id=self.kwargs["pk"])

    @extend_schema(
        summary="The hazards a campaign raised",
        description="One per failed item, with its premises, item and photo. Constant queries.",
        responses={200: FindingSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MyInspectionsView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CampaignPremises.objects.none()
        return selectors.my_assignments(user=self.request.user)

    @extend_schema(
        summary="My premises to inspect",
        description="Premises assigned to me in active campaigns: in "
        "progress first, then pending, then done. Constant queries.",
        responses={200: EntrySerializer(many=True), **_errors(401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InspectionStartView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Start (or resume) an inspection",
        description="The assigned inspector of an active campaign's premises. 201 with the checklist; again: 200 with "
        "the same inspection.",
        request=StartSerializer,
        responses={200: InspectionSerializer, 201: InspectionSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request):
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry_id = data.validated_data["entry"]
        existed = Inspection.objects.filter(entry_id=entry_id).exists()
        inspection = inspections.inspection_start(entry_id=entry_id, actor=request.user)
        return _inspection_response(request, inspection.pk, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class InspectionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One inspection: its checklist and results", responses={200: InspectionSerializer, **_errors(401, 404)}
    )
    def get(self, request, pk: int):
        return _inspection_response(request, pk)


class InspectionRecordView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        summary="Record one checklist item",
        description="`outcome` pass, fail or na (again to change it). A failure takes a `note` and a `photo` "
        "(required when the item says photo_required); the photo is validated and re-encoded before "
        "anything is stored. Returns the whole inspection.",
        request={"multipart/form-data": RecordSerializer, "application/json": RecordSerializer},
        responses={200: InspectionSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        try:
            files = request.FILES.getlist("photo")
        except TooManyFilesSent:
            raise InvalidInput(
                too_many_files_sentence(limits=conf.photo_limits()), field="photo", code="too_many_photos"
            )
        if len(files) > 1:
            raise InvalidInput(_("One photo per item."), field="photo")
        fields = request.data
        if isinstance(fields, Mapping):  # the photo is read from FILES; anything else goes to the serializer
            fields = {k: v for k, v in fields.items() if k != "photo"}
        data = RecordSerializer(data=fields)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        inspections.inspection_record_item(
            inspection_id=pk,
            actor=request.user,
            item_id=values["item"],
            outcome=values["outcome"],
            note=values["note"],
            photo=files[0] if files else None,
        )
        return _inspection_response(request, pk)


class InspectionSubmitView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Submit an inspection",
        description="Every item needs an outcome. Each failed item becomes a hazard (source inspection, its photo, the "
        "premises' position) linked to the premises and the campaign; the campaign's progress moves and "
        "`campaign.progress` goes out live. Submitting again answers the same hazards with replayed=true.",
        request=None,
        responses={200: SubmittedSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        outcome = inspections.inspection_submit(inspection_id=pk, actor=request.user)
        inspection = selectors.inspection_get(user=request.user, inspection_id=pk)
        body = {"inspection": inspection, "hazards": outcome.hazards, "replayed": outcome.replayed}
        return Response(SubmittedSerializer(body, context={"request": request}).data)
