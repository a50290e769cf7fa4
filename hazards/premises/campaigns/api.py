"""REST API of inspection campaigns (issue 12): thin views over campaigns.services/selectors.

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

from django.core.exceptions import TooManyFilesSent
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import RefSerializer, error_responses
from govern.errors import InvalidInput
from govern.media.checks import too_many_files_sentence
from govern.roles import is_dispatcher
from hazards import conf
from hazards.api import MEDIA_URL_FIELD, UserRefSerializer, media_url
from hazards.models import Severity
from hazards.premises.campaigns import selectors, services
from hazards.premises.campaigns.models import Campaign, CampaignPremises, Inspection, InspectionResult, Outcome


def _errors(*codes: int) -> dict:
    return error_responses(
        *codes,
        e404="No such campaign or inspection (or not visible to you)",
        e409="Not possible in the current state (a draft or closed campaign, a submitted inspection, premises "
        "someone else inspects, premises already submitted)",
    )


def _user(user) -> dict | None:
    return {"id": user.pk, "display_name": user.display_name or user.username} if user is not None else None


# --- serializers -----------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="premises_total")
    assigned = serializers.IntegerField(source="premises_assigned")
    in_progress = serializers.IntegerField(source="premises_started")
    done = serializers.IntegerField(source="premises_done")
    findings = serializers.IntegerField()
    percent = serializers.IntegerField(source="done_percent", help_text="done / total, rounded")


class SelectionSerializer(serializers.Serializer):
    grids = serializers.ListField(child=serializers.IntegerField())
    streets = serializers.ListField(child=serializers.CharField())
    types = serializers.ListField(child=serializers.CharField())


class CampaignSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    selection = SelectionSerializer()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "starts_on",
            "ends_on",
            "status",
            "selection",
            "created_by",
            "progress",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(UserRefSerializer)
    def get_created_by(self, campaign) -> dict:
        return _user(campaign.created_by)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, campaign) -> dict:
        return ProgressSerializer(campaign).data


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=services.NAME_MAX)
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True, default=""
    )
    starts_on = serializers.DateField(required=False, allow_null=True, help_text="default: today")
    ends_on = serializers.DateField(required=False, allow_null=True, help_text="default: 30 days after starts_on")
    grids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=services.PK_MAX),
        required=False,
        default=list,
        max_length=services.SELECTION_MAX,
        help_text="grid ids (any of them)",
    )
    streets = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        default=list,
        max_length=services.SELECTION_MAX,
        help_text="street names, exactly as registered",
    )
    types = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        required=False,
        default=list,
        max_length=services.SELECTION_MAX,
        help_text="premises type slugs (restaurant, shop…)",
    )


class AssignSerializer(serializers.Serializer):
    inspector = serializers.IntegerField(
        min_value=1,
        max_value=services.PK_MAX,
        help_text="user id: a grid worker (premises in their grids) or an approved volunteer",
    )
    premises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=services.PK_MAX),
        min_length=1,
        max_length=services.SELECTION_MAX,
        help_text="premises ids in this campaign",
    )


class UnassignSerializer(serializers.Serializer):
    premises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=services.PK_MAX),
        min_length=1,
        max_length=services.SELECTION_MAX,
        help_text="premises ids in this campaign",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.NOTE_MAX,
        default="",
        help_text="why (ill, left…): sent to the former inspector and logged",
    )
    discard_started = serializers.BooleanField(
        required=False,
        default=False,
        help_text="also take back premises whose inspection was started (not submitted), deleting the unfinished "
        "checklist; without it such premises are a 409 (code in_progress)",
    )


class PremisesRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    street = serializers.CharField()
    type = serializers.CharField(source="type.slug")
    type_name = serializers.CharField(source="type.name")
    grid = RefSerializer()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class EntrySerializer(serializers.ModelSerializer):
    campaign = RefSerializer()
    premises = PremisesRefSerializer()
    inspector = serializers.SerializerMethodField()
    inspection = serializers.SerializerMethodField()
    taken_back_by = serializers.SerializerMethodField()

    class Meta:
        model = CampaignPremises
        fields = [
            "id",
            "campaign",
            "premises",
            "inspector",
            "status",
            "findings",
            "assigned_at",
            "done_at",
            "inspection",
            "taken_back_at",
            "taken_back_by",
            "taken_back_reason",
        ]
        extra_kwargs = {
            "taken_back_at": {
                "help_text": "When the office last took it back from an inspector (null: never). "
                "Dispatchers only: null for an inspector, whose entry may have been someone else's."
            },
            "taken_back_reason": {
                "help_text": "The reason the office gave then (may be empty; may concern the former "
                "inspector). Dispatchers only: empty for an inspector."
            },
        }

    def to_representation(self, entry):
        data = super().to_representation(entry)
        request = self.context.get("request")
        if request is None or not is_dispatcher(request.user):
            data.update(taken_back_at=None, taken_back_by=None, taken_back_reason="")
        return data

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_inspector(self, entry) -> dict | None:
        return _user(entry.inspector)

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_taken_back_by(self, entry) -> dict | None:
        return _user(entry.taken_back_by)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_inspection(self, entry) -> int | None:
        try:
            return entry.inspection.pk  # select_related: no query
        except Inspection.DoesNotExist:
            return None


class HazardRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    category_name = serializers.CharField(source="category.name")
    severity = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    text = serializers.CharField()
    text_en = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    severity = serializers.ChoiceField(choices=Severity.choices)
    photo_required = serializers.BooleanField(help_text="a failure must come with a photo")


class ResultSerializer(serializers.ModelSerializer):
    photo = serializers.SerializerMethodField()
    thumb = serializers.SerializerMethodField()
    hazard = HazardRefSerializer(allow_null=True)

    class Meta:
        model = InspectionResult
        fields = ["outcome", "note", "photo", "thumb", "hazard", "recorded_at"]

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_photo(self, result) -> str | None:
        return media_url(result.photo)

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_thumb(self, result) -> str | None:
        return media_url(result.photo_thumb)


class LineSerializer(serializers.Serializer):
    item = ItemSerializer()
    result = ResultSerializer(allow_null=True)


class ChecklistRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class InspectionSerializer(serializers.ModelSerializer):
    entry = serializers.IntegerField(source="entry_id")
    campaign = RefSerializer(source="entry.campaign")
    premises = PremisesRefSerializer(source="entry.premises")
    inspector = serializers.SerializerMethodField()
    checklist = ChecklistRefSerializer()
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "entry",
            "campaign",
            "premises",
            "inspector",
            "checklist",
            "started_at",
            "submitted_at",
            "lines",
        ]

    @extend_schema_field(UserRefSerializer)
    def get_inspector(self, inspection) -> dict:
        return _user(inspection.inspector)

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, inspection) -> list:
        return LineSerializer(selectors.inspection_lines(inspection), many=True).data


class StartSerializer(serializers.Serializer):
    entry = serializers.IntegerField(
        min_value=1, max_value=services.PK_MAX, help_text="the campaign premises id (from /inspections/mine/)"
    )


class RecordSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=services.PK_MAX, help_text="checklist item id")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.NOTE_MAX, default="")
    photo = serializers.FileField(
        required=False,
        allow_empty_file=True,
        use_url=False,
        help_text="for a failure: one photo (JPEG, PNG, WebP, HEIC/HEIF)",
    )


class SubmittedSerializer(serializers.Serializer):
    inspection = InspectionSerializer()
    hazards = HazardRefSerializer(many=True)
    replayed = serializers.BooleanField(help_text="true when it had been submitted before (nothing new was written)")


class FindingSerializer(serializers.Serializer):
    hazard = HazardRefSerializer()
    item = ItemSerializer()
    premises = RefSerializer(source="inspection.entry.premises")
    inspector = serializers.SerializerMethodField()
    note = serializers.CharField()
    thumb = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(source="inspection.submitted_at")

    @extend_schema_field(UserRefSerializer)
    def get_inspector(self, result) -> dict:
        return _user(result.inspection.inspector)

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_thumb(self, result) -> str | None:
        return media_url(result.photo_thumb)


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
        inspection = services.inspection_start(entry_id=entry_id, actor=request.user)
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
        data = RecordSerializer(data={k: v for k, v in request.data.items() if k != "photo"})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.inspection_record_item(
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
        outcome = services.inspection_submit(inspection_id=pk, actor=request.user)
        inspection = selectors.inspection_get(user=request.user, inspection_id=pk)
        body = {"inspection": inspection, "hazards": outcome.hazards, "replayed": outcome.replayed}
        return Response(SubmittedSerializer(body, context={"request": request}).data)
